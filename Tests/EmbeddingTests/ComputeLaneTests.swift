@_spi(Testing) import Embedding
import Testing

/// The model threads take a search query's pass before any waiting batch: a request that
/// embeds many texts cannot make every query behind it wait for all of them.
@Suite struct ComputeLaneTests {
    @Test func queriesAreServedBeforeWaitingBulkWorkAndEachLaneInOrder() {
        let queue = LaneQueue<String>()
        queue.enqueue("bulk 1", lane: .bulk)
        queue.enqueue("bulk 2", lane: .bulk)
        queue.enqueue("query 1", lane: .query)
        queue.enqueue("bulk 3", lane: .bulk)
        queue.enqueue("query 2", lane: .query)
        // Every element is there before it is asked for, so `next` never waits here.
        #expect((0..<5).map { _ in queue.next() } == ["query 1", "query 2", "bulk 1", "bulk 2", "bulk 3"])
        queue.enqueue("bulk 4", lane: .bulk)
        queue.enqueue("query 3", lane: .query)
        #expect(queue.next() == "query 3")
        #expect(queue.next() == "bulk 4")
    }

    @Test func aClosedQueueHandsOutWhatIsLeftThenNothing() {
        let queue = LaneQueue<Int>()
        queue.enqueue(1, lane: .bulk)
        queue.enqueue(2, lane: .query)
        queue.close()
        #expect(queue.next() == 2)
        #expect(queue.next() == 1)
        #expect(queue.next() == nil)
    }

    @Test func theQueryThreadTakesOnlyQueries() {
        let queue = LaneQueue<String>()
        queue.enqueue("bulk 1", lane: .bulk)
        queue.enqueue("query 1", lane: .query)
        #expect(queue.next(queriesOnly: true) == "query 1")
        queue.close()
        // The bulk element is left for a model thread; the query thread sees the end.
        #expect(queue.next(queriesOnly: true) == nil)
        #expect(queue.next() == "bulk 1")
    }
}
