import NIOCore
import NIOExtras

/// Serves one connection: takes framed request lines (from `ByteToMessageHandler(LineBasedFrameDecoder())`),
/// answers them strictly in order, one at a time, and writes the encoded responses.
///
/// Requests that call the backend run through `offload` (the worker pool), so a slow query never stalls the event
/// loop; the others are answered on the event loop. While more than ``maxQueued`` requests wait, or the channel
/// isn't writable (the client doesn't read its responses), the handler stops reading from the socket.
///
/// Closing: after `QUIT`, `ERR TOOLONG`, `ERR TIMEOUT`, end of the client's input, or a quiesce event (graceful
/// shutdown), the handler finishes what it must, then shuts down its output (the client reads everything, then
/// end of file) and closes the channel when the client closes its side, or after ``lingerTime`` at the latest.
/// Network errors close the channel at once. Nothing is logged, no error is passed on.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A response encoded off the event loop.
    struct Encoded: Sendable {
        /// The wire bytes.
        var bytes: ByteBuffer
        /// Whether the connection closes after it.
        var closesConnection: Bool
    }

    /// Runs blocking work off the event loop and completes the future on `eventLoop`.
    typealias Offload = (_ eventLoop: any EventLoop, _ work: @escaping @Sendable () -> Encoded) -> EventLoopFuture<Encoded>

    /// Requests waiting to be answered at which the handler stops reading.
    static let maxQueued = 64

    private enum Item {
        case line(ByteBuffer)
        case tooLong
    }

    private let handler: RequestHandler
    private let maxLineLength: Int
    private let idleTimeout: Double
    private let lingerTime: TimeAmount
    private let offload: Offload

    private var queue = CircularBuffer<Item>()
    /// A request runs on the worker pool.
    private var busy = false
    /// No more requests are taken (input ended, QUIT, TOOLONG, quiesce).
    private var inputDone = false
    /// The client closed its side.
    private var inputClosed = false
    /// Closing has begun: nothing more is answered or written.
    private var closing = false
    /// The channel is gone.
    private var inactive = false
    /// A `read` was held back.
    private var readPending = false
    /// `processQueue` is on the stack.
    private var processing = false
    private var lastWrite: EventLoopFuture<Void>?
    private var lingerTask: Scheduled<Void>?

    /// Creates the handler of one connection.
    /// - Parameters:
    ///   - handler: Answers requests.
    ///   - maxLineLength: Longest accepted line, terminator excluded.
    ///   - idleTimeout: Seconds of idleness after which `IdleStateHandler`'s event closes the connection (only used
    ///     for the message).
    ///   - lingerTime: Longest wait for the client to close after the server shut down its output.
    ///   - offload: Where requests that need the backend run.
    init(
        handler: RequestHandler, maxLineLength: Int, idleTimeout: Double,
        lingerTime: TimeAmount = .seconds(2), offload: @escaping Offload
    ) {
        self.handler = handler
        self.maxLineLength = maxLineLength
        self.idleTimeout = idleTimeout
        self.lingerTime = lingerTime
        self.offload = offload
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        accept(line, context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is ByteToMessageDecoderError.PayloadTooLargeError {
            // The unfinished line in the decoder's buffer passed the limit.
            if !inputDone {
                queue.append(.tooLong)
                inputDone = true
            }
            processQueue(context: context)
        } else if let leftover = error as? NIOExtrasErrors.LeftOverBytesError {
            // Input ended in the middle of a line: take it as the last request.
            if !closing { accept(leftover.leftOverBytes, context: context) }
        } else if let decoderError = error as? ByteToMessageDecoderError,
            case .dataReceivedInErrorState = decoderError
        {
            // Bytes after a TOOLONG line: dropped.
        } else {
            // A network error (reset, broken pipe …): nothing more can be said to this client.
            abort(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent {
            if idle == .all, !busy, queue.isEmpty, !closing {
                write(.error(.idleTimeout(idleTimeout)), context: context)
                inputDone = true
                startClosing(context: context)
            }
        } else if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed {
            inputClosed = true
            inputDone = true
            if closing {
                context.close(promise: nil)
            } else {
                processQueue(context: context)
            }
        } else if event is ChannelShouldQuiesceEvent {
            inputDone = true
            processQueue(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        processQueue(context: context)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
        closing = true
        inputDone = true
        queue.removeAll()
        lingerTask?.cancel()
        lingerTask = nil
        context.fireChannelInactive()
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if !closing && (queue.count >= Self.maxQueued || !context.channel.isWritable) {
            readPending = true
        } else {
            readPending = false
            context.read()
        }
    }

    // MARK: Work

    private func accept(_ line: ByteBuffer, context: ChannelHandlerContext) {
        guard !inputDone else { return }
        if line.readableBytes > maxLineLength {
            queue.append(.tooLong)
            inputDone = true
        } else {
            queue.append(.line(line))
        }
        processQueue(context: context)
    }

    /// Answers queued requests in order until one goes to the worker pool, the channel stops being writable, or the
    /// queue is empty. Re-entrant calls (a write that changes writability) are folded into the running one.
    private func processQueue(context: ChannelHandlerContext) {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while !busy && !closing {
            guard context.channel.isWritable else { break }
            guard let item = queue.popFirst() else {
                if inputDone { startClosing(context: context) }
                break
            }
            switch item {
            case .tooLong:
                queue.removeAll()
                write(.error(.tooLong(limit: maxLineLength)), context: context)
                startClosing(context: context)
            case .line(var buffer):
                let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                switch RequestParser.parse(bytes) {
                case .failure(let error):
                    write(.error(error), context: context)
                case .success(let request) where request.needsBackend:
                    run(request, context: context)
                case .success(let request):
                    let response = handler.respond(to: request)
                    write(response, context: context)
                    if response.closesConnection {
                        inputDone = true
                        queue.removeAll()
                        startClosing(context: context)
                    }
                }
            }
        }
        resumeReading(context: context)
    }

    private func run(_ request: Request, context: ChannelHandlerContext) {
        busy = true
        let handler = self.handler
        offload(context.eventLoop) {
            let response = handler.respond(to: request)
            return Encoded(bytes: ResponseEncoder.buffer(response), closesConnection: response.closesConnection)
        }.assumeIsolated().whenComplete { result in
            self.busy = false
            guard !self.closing else { return }
            switch result {
            case .success(let encoded):
                self.write(encoded.bytes, context: context)
                if encoded.closesConnection {
                    self.inputDone = true
                    self.queue.removeAll()
                    self.startClosing(context: context)
                }
            case .failure:
                self.write(.error(.shuttingDown), context: context)
            }
            self.processQueue(context: context)
        }
    }

    private func write(_ response: Response, context: ChannelHandlerContext) {
        write(ResponseEncoder.buffer(response, allocator: context.channel.allocator), context: context)
    }

    private func write(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard !inactive else { return }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
        lastWrite = promise.futureResult
    }

    private func resumeReading(context: ChannelHandlerContext) {
        if readPending, queue.count < Self.maxQueued, context.channel.isWritable || closing {
            readPending = false
            context.read()
        }
    }

    /// Shuts down the output once everything written is flushed, then waits (bounded) for the client to close.
    private func startClosing(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        queue.removeAll()
        resumeReading(context: context)
        guard !inactive else { return }
        let afterWrites = lastWrite ?? context.eventLoop.makeSucceededVoidFuture()
        afterWrites.assumeIsolated().whenComplete { _ in
            guard !self.inactive else { return }
            if self.inputClosed {
                context.close(promise: nil)
                return
            }
            let shutdown = context.eventLoop.makePromise(of: Void.self)
            context.close(mode: .output, promise: shutdown)
            shutdown.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
            self.lingerTask = context.eventLoop.assumeIsolated().scheduleTask(in: self.lingerTime) {
                context.close(promise: nil)
            }
        }
    }

    /// Closes at once, dropping queued work.
    private func abort(context: ChannelHandlerContext) {
        closing = true
        inputDone = true
        queue.removeAll()
        if !inactive { context.close(promise: nil) }
    }
}
