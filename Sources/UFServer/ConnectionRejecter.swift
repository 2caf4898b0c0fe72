import NIOCore

/// Serves a connection over the limit: sends `ERR BUSY too many connections` and `.`, shuts down its output,
/// drops whatever the client sends, and closes when the client does, or after `lingerTime` at the latest.
final class ConnectionRejecter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let lingerTime: TimeAmount
    private var sent = false
    private var lingerTask: Scheduled<Void>?

    /// Creates the handler.
    init(lingerTime: TimeAmount = .seconds(1)) {
        self.lingerTime = lingerTime
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { reject(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        reject(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Dropped.
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        lingerTask?.cancel()
        lingerTask = nil
        context.fireChannelInactive()
    }

    private func reject(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        let bytes = ResponseEncoder.buffer(.error(.busy), allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
            let shutdown = context.eventLoop.makePromise(of: Void.self)
            context.close(mode: .output, promise: shutdown)
            shutdown.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        }
        lingerTask = context.eventLoop.assumeIsolated().scheduleTask(in: lingerTime) {
            context.close(promise: nil)
        }
    }
}
