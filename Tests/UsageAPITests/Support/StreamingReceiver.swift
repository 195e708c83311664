import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A webhook receiver on 127.0.0.1 that answers 200 and never ends its body: `.flood` sends
/// as fast as the client reads, `.trickle` one byte every 50 ms. It counts the requests it
/// answered and the connections the client closed.
final class StreamingReceiver: Sendable {
    enum Pace: Sendable { case flood, trickle }

    let port: Int
    private let channel: any Channel
    private let log: StreamLog

    var requests: Int { log.requests }
    var closedConnections: Int { log.closed }

    private init(channel: any Channel, log: StreamLog) {
        self.channel = channel
        self.log = log
        port = channel.localAddress?.port ?? 0
    }

    static func start(_ pace: Pace) async throws -> StreamingReceiver {
        let log = StreamLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StreamingHandler(pace: pace, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return StreamingReceiver(channel: channel, log: log)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class StreamLog: @unchecked Sendable {
    private let lock = NSLock()
    private var answered = 0
    private var closedCount = 0

    var requests: Int { lock.withLock { answered } }
    var closed: Int { lock.withLock { closedCount } }
    func answeredOne() { lock.withLock { answered += 1 } }
    func closedOne() { lock.withLock { closedCount += 1 } }
}

private final class StreamingHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let pace: StreamingReceiver.Pace
    private let log: StreamLog
    private var streaming = false
    private var ticker: RepeatedTask?

    init(pace: StreamingReceiver.Pace, log: StreamLog) {
        self.pace = pace
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data), !streaming else { return }
        log.answeredOne()
        streaming = true
        // No Content-Length: the body is chunked and never ends.
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Type": "application/octet-stream"])
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        switch pace {
        case .flood: flood(context)
        case .trickle: startTrickle(context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if streaming && pace == .flood { flood(context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        streaming = false
        ticker?.cancel()
        ticker = nil
        log.closedOne()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Writes until the channel's buffer is full; `channelWritabilityChanged` resumes.
    private func flood(_ context: ChannelHandlerContext) {
        while streaming && context.channel.isActive && context.channel.isWritable {
            let chunk = context.channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: 16_384)
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        }
        context.flush()
    }

    private func startTrickle(_ context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
            let (handler, context) = bound.value
            handler.writeOneByte(context)
        }
    }

    private func writeOneByte(_ context: ChannelHandlerContext) {
        guard streaming else { return }
        let byte = context.channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: 1)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(byte))), promise: nil)
    }
}
