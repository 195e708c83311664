import Foundation
import TestSupport
import Testing

/// `GET /memories`: pagination (`total`, `limit`, `skip`, and their edges), the filters
/// category / emotion / tags / source / start_date / end_date, and `sort_by` / `order`.
extension OfflineMemoryAPI {
    @Suite struct Listing {
        static func page(_ server: TestServer, _ token: String, _ query: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (texts: [String], total: Int?, limit: Int?, skip: Int?) {
            let page = try await server.list(token, query, sourceLocation: sourceLocation)
            let items = try #require(page["items"]?.array, "\(query): items: \(page)", sourceLocation: sourceLocation)
            return (items.compactMap { $0["text"]?.string }, page["total"]?.int, page["limit"]?.int, page["skip"]?.int)
        }

        @Test func paginationHasTotalsAndHandlesEveryEdge() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            for number in 1...5 { try await server.createMemory(token, "Note number \(number).") }
            let newestFirst = (1...5).reversed().map { "Note number \($0)." }

            let first = try await Self.page(server, token, "?limit=2")
            #expect(first.texts == Array(newestFirst[0..<2]) && first.total == 5 && first.limit == 2 && first.skip == 0, "\(first)")
            let second = try await Self.page(server, token, "?limit=2&skip=2")
            #expect(second.texts == Array(newestFirst[2..<4]) && second.total == 5 && second.skip == 2, "\(second)")
            let last = try await Self.page(server, token, "?limit=2&skip=4")
            #expect(last.texts == [newestFirst[4]] && last.total == 5, "\(last)")
            let all = try await Self.page(server, token, "")
            #expect(all.texts == newestFirst && all.total == 5 && all.limit == 20 && all.skip == 0, "default page: \(all)")

            for skip in [5, 6, 1000] {
                let past = try await Self.page(server, token, "?skip=\(skip)")
                #expect(past.texts.isEmpty && past.total == 5, "skip \(skip) past the end: empty items, the right total: \(past)")
            }
            let onlyTotal = try await Self.page(server, token, "?limit=0")
            #expect(onlyTotal.texts.isEmpty && onlyTotal.total == 5 && onlyTotal.limit == 0, "limit 0 answers only the total: \(onlyTotal)")
            #expect(try await Self.page(server, token, "?limit=100").texts.count == 5)

            for query in ["?limit=101", "?limit=1000000", "?limit=-1", "?limit=abc", "?limit=2.5"] {
                expectValidation(try await server.get("/memories" + query, token: token), field: "limit", "GET /memories\(query)")
            }
            for query in ["?skip=-3", "?skip=x"] {
                expectValidation(try await server.get("/memories" + query, token: token), field: "skip", "GET /memories\(query)")
            }
            let oldestFirst = try await Self.page(server, token, "?order=asc&limit=3")
            #expect(oldestFirst.texts == ["Note number 1.", "Note number 2.", "Note number 3."], "\(oldestFirst)")
        }

        @Test func filtersByCategoryEmotionTagsSourceAndDates() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let a = try await server.createMemory(token, "I finished the city marathon.", ["category": "hobbies", "emotion": "happy", "tags": ["sport", "2025"]])
            let b = try await server.createMemory(token, "The project deadline moved to March.", ["category": "work", "emotion": "anxious", "tags": ["job"]])
            let c = try await server.createMemory(token, "I started a new job at the harbour.", ["category": "work", "emotion": "excited", "tags": ["job", "2025"]])
            let (ta, tb, tc) = (try #require(a["text"]?.string), try #require(b["text"]?.string), try #require(c["text"]?.string))

            func texts(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Set<String> {
                let page = try await Self.page(server, token, query, sourceLocation: sourceLocation)
                #expect(page.total == page.texts.count, "\(query): total counts the filtered set: \(page)", sourceLocation: sourceLocation)
                return Set(page.texts)
            }
            #expect(try await texts("?category=work") == [tb, tc])
            #expect(try await texts("?category=WORK") == [tb, tc], "categories match case-insensitively")
            #expect(try await texts("?emotion=happy") == [ta])
            #expect(try await texts("?category=work&emotion=excited") == [tc])
            #expect(try await texts("?category=travel") == [])
            #expect(try await texts("?tags=2025") == [ta, tc])
            #expect(try await texts("?tags=job,2025") == [tc], "every tag must match")
            #expect(try await texts("?tags=unknown") == [])
            #expect(try await texts("?source=manual") == [ta, tb, tc])
            #expect(try await texts("?source=chat") == [])
            expectValidation(try await server.get("/memories?source=bogus", token: token), field: "source")

            let createdB = try #require(b["created_at"]?.string)
            let today = String(createdB.prefix(10))
            let day = try #require(UTCDay.date(today))
            let yesterday = UTCDay.string( day.addingTimeInterval(-86_400))
            let tomorrow = UTCDay.string( day.addingTimeInterval(86_400))
            #expect(try await texts("?start_date=\(today)") == [ta, tb, tc])
            #expect(try await texts("?end_date=\(today)") == [ta, tb, tc], "end_date includes its whole day")
            #expect(try await texts("?start_date=\(yesterday)&end_date=\(tomorrow)") == [ta, tb, tc])
            #expect(try await texts("?end_date=\(yesterday)") == [])
            #expect(try await texts("?start_date=\(tomorrow)") == [])
            #expect(try await texts("?start_date=\(createdB)") == [tb, tc], "a created_at the API answered works as start_date (\(createdB))")
            #expect(try await texts("?start_date=\(today)T00:00:00Z&category=work") == [tb, tc])
            expectValidation(try await server.get("/memories?start_date=2025-13-45", token: token), field: "start_date")
            expectValidation(try await server.get("/memories?end_date=yesterday", token: token), field: "end_date")
            expectValidation(try await server.get("/memories?start_date=", token: token), field: "start_date", "an empty date is no date")
            #expect(try await texts("?start_date=0001-01-01&end_date=9999-12-31") == [ta, tb, tc], "the first and last days of the years 1 to 9999 are dates")
            expectValidation(try await server.get("/memories?start_date=\(tomorrow)&end_date=\(yesterday)", token: token), field: "end_date")
        }

        @Test func sortsByEveryDocumentedFieldInBothOrders() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            try await server.createMemory(token, "First: I painted the fence.", ["category": "hobbies", "emotion": "happy"])
            try await server.createMemory(token, "Second: my rent went up.", ["category": "finance", "emotion": "angry"])
            try await server.createMemory(token, "Third: I booked a flight to Rome.", ["category": "travel", "emotion": "excited"])
            func order(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
                try await Self.page(server, token, query, sourceLocation: sourceLocation).texts.map { String($0.prefix { $0 != ":" }) }
            }
            #expect(try await order("?sort_by=created_at&order=asc") == ["First", "Second", "Third"])
            #expect(try await order("?sort_by=created_at&order=desc") == ["Third", "Second", "First"])
            #expect(try await order("?sort_by=created_at") == ["Third", "Second", "First"], "desc by default")
            #expect(try await order("?sort_by=category&order=asc") == ["Second", "First", "Third"], "finance, hobbies, travel")
            #expect(try await order("?sort_by=category&order=desc") == ["Third", "First", "Second"])
            #expect(try await order("?sort_by=emotion&order=asc") == ["Second", "Third", "First"], "angry, excited, happy")
            #expect(try await order("?sort_by=updated_at&order=asc").count == 3)
            #expect(try await order("?sort_by=category&order=ASC") == ["Second", "First", "Third"], "order is case-insensitive")
            expectValidation(try await server.get("/memories?sort_by=text", token: token), field: "sort_by")
            expectValidation(try await server.get("/memories?order=sideways", token: token), field: "order")
            for typed in ["order", "sort_by", "limit", "skip", "source"] {
                expectValidation(try await server.get("/memories?\(typed)=", token: token), field: typed, "a typed parameter given empty is refused")
            }
            #expect(try await order("?category=&sort_by=created_at&order=asc") == ["First", "Second", "Third"], "an empty free-text filter is left out")
        }
    }
}

/// `2025-01-31` days in UTC.
enum UTCDay {
    static func formatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }

    static func date(_ text: String) -> Date? { formatter().date(from: text) }
    static func string(_ date: Date) -> String { formatter().string(from: date) }
}
