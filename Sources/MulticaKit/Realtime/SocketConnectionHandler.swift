
import Foundation
import NIOCore
import NIOWebSocket

/// The per-socket NIO handler, installed after a successful upgrade.
///
/// Threading: every method runs on the channel's event loop. Other threads reach it
/// only through `SocketHandle`, which hops with `EventLoop.execute`, so all state here
/// is confined to one thread and needs no lock.
///
/// Delivery never waits: a frame is written if the channel is writable, else queued;
/// when the queue passes `SocketSettings.sendQueueLimit` the socket is evicted with
/// 4008 (the client resumes with `since`). Writes are flushed once per batch by the
/// caller (`flushIfNeeded`), so a burst of events costs one system call per socket.
///
/// While the socket is replaying the log, live frames are buffered; `finishReplay`
/// drops those the replay already sent (by `seq`) and sends the rest, which is how
/// replay and live meet with no gap and no duplicate. The buffer is bounded by
/// `sendQueueLimit` too, but overflowing it does not evict: every buffered frame with
/// a `seq` is in the log already (persist before deliver), so they are dropped and the
/// replay reads on from the log (`finishReplay` then answers false) until it meets the
/// live stream. What evicts a replaying socket is the socket itself falling behind:
/// more than `sendQueueLimit` live events arriving while it has not yet taken the last
/// page the replay wrote (the time the replay spends reading the log does not count).
final class SocketConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, ProbedSocket {
    typealias InboundIn = WebSocketFrame
    /// Pre-encoded WebSocket frames (`WebSocketFrameBytes`): the per-socket frame
    /// encoder is removed from the pipeline at upgrade.
    typealias OutboundOut = ByteBuffer

    /// A live frame waiting behind the replay. `seq` is nil for workspace-less events.
    private struct Pending {
        var frame: ByteBuffer
        var seq: Int64?
    }

    private enum Phase {
        case replaying
        case live
        case closing
        case closed
    }

    let identity: SocketIdentity
    private let settings: SocketSettings
    private let metrics: RealtimeMetrics
    /// Where this socket's probes wait for their `lagLimit` (one timer per loop).
    private let probeDeadlines: ProbeDeadlines

    private var context: ChannelHandlerContext?
    private var phase: Phase = .replaying
    /// Live frames that arrived while replaying.
    private var replayBuffer: CircularBuffer<Pending> = []
    /// True when `replayBuffer` overflowed and its logged frames were dropped since the
    /// replay last asked to finish: the replay must read the log again first.
    private var replayBufferDropped = false
    /// True while the last page the replay wrote is not all handed to the kernel.
    private var replayWritePending = false
    /// Live events that arrived since that page was written: the distance this socket
    /// fell behind while it, not the log read, held the replay up.
    private var liveWhileReplayWritePending = 0
    /// Highest workspace `seq` written to this socket.
    private var lastSeq: Int64 = 0
    /// Frames waiting for the channel to become writable again.
    /// Buffers waiting for writability, each with the number of frames it holds (a run
    /// from `deliverLiveRun` holds several).
    private var backlog: CircularBuffer<(buffer: ByteBuffer, frames: Int)> = []
    /// Frames in `backlog`, the figure `sendQueueLimit` bounds.
    private var backlogFrames = 0
    private var needsFlush = false
    /// Mirrors the channel's writability, updated by `channelWritabilityChanged`, so
    /// the per-frame path reads a stored bool instead of the channel's atomic.
    private var writable = true
    private var awaitingPong = false
    private var timers: [Scheduled<Void>] = []
    private var pingTask: RepeatedTask?
    private var closeTimer: Scheduled<Void>?
    /// Bytes of the inbound message being reassembled from fragments; non-nil only
    /// between a first fragment without FIN and the final continuation.
    private var inboundMessage: ByteBuffer?
    private var inboundOpcode: WebSocketOpcode = .text
    /// UTF-8 check of the text message being received, fed fragment by fragment.
    private var inboundText = UTF8Validator()

    /// Where encoded frames are written: the context of `RawFrameWriter`, at the head
    /// of the pipeline.
    private let output: ChannelHandlerContext
    /// Where `publish` frames go; nil on a server that does not accept them.
    private let publishing: (any SocketPublishing)?
    /// Answers to publish frames, released in frame order.
    private var replies = PublishReplies()
    /// True while reading is paused because too many publishes are unanswered.
    private var readPaused = false
    /// An ack flush is queued on the loop (see `answer`).
    private var ackFlushQueued = false

    /// Pacing (`RoomPressure`): the room this socket counts in, set once registered.
    private var pressure: RoomPressure?
    /// Live bytes written since the last probe ping.
    private var bytesSinceProbe = 0
    /// Payload of the probe ping not yet answered; 0 when none is out.
    private var probeToken: UInt64 = 0
    private var probesSent: UInt64 = 0
    private var probeSentAt = NIODeadline.distantPast
    /// A probe was answered late: the next flush probes whatever it carries.
    private var followUpDue = false
    /// What the network alone adds to a probe's answer time; a probe is late only by
    /// what it waits beyond it.
    private var roundTripFloor = RoundTripFloor()
    /// When the ping that followed the hello went out; nil once answered.
    private var floorPingSentAt: NIODeadline?
    /// That ping's token: probes count up from 1 and never reach it.
    private static let floorPingToken = UInt64(1) << 63
    /// When the last keep-alive ping went out: a client may answer only the latest of
    /// several pings (RFC 6455 §5.5.3), and its pong then covers an earlier probe too.
    private var keepAliveSentAt = NIODeadline.distantPast
    private var lag = Lag.keepingUp

    private enum Lag {
        case keepingUp
        /// Counted in the room's `behind`.
        case behind
        /// Behind for longer than `stuckAfter`: no longer counted.
        case stuck
    }

    init(
        identity: SocketIdentity, settings: SocketSettings, metrics: RealtimeMetrics, output: ChannelHandlerContext,
        probeDeadlines: ProbeDeadlines, publishing: (any SocketPublishing)? = nil
    ) {
        self.output = output
        self.probeDeadlines = probeDeadlines
        self.identity = identity
        self.settings = settings
        self.metrics = metrics
        self.publishing = publishing
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writable = context.channel.isWritable
        let loop = context.eventLoop
        // The timers hold the handler until `finish` cancels them.
        let this = NIOLoopBound(self, eventLoop: loop)
        let expiresIn = identity.expiresAt.timeIntervalSinceNow
        timers.append(loop.scheduleTask(in: .milliseconds(Int64(max(0, expiresIn) * 1000))) {
            this.value.close(.tokenExpired)
        })
        pingTask = loop.scheduleRepeatedTask(
            initialDelay: TimeAmount(settings.pingInterval), delay: TimeAmount(settings.pingInterval)
        ) { _ in
            this.value.sendPing()
        }
        metrics.socketOpened()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    private func finish() {
        if case .closed = phase { return }
        phase = .closed
        leavePacing()
        cancelTimers()
        closeTimer?.cancel()
        backlog.removeAll()
        backlogFrames = 0
        replayBuffer.removeAll()
        metrics.socketClosed()
    }

    /// NIO's frame decoder reports an oversized frame as `invalidFrameLength` (SPEC's
    /// 1009) and a fragmented or over-125-byte control frame as a protocol error
    /// (1002). The decoder then refuses every later byte (`dataReceivedInErrorState`):
    /// once our close frame is out, such bytes (the peer's close reply, or more
    /// garbage) end the connection. Any other error is I/O: the connection ends.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if isClosing {
            context.close(promise: nil)
            return
        }
        switch error {
        case let error as NIOWebSocketError:
            close(error == .invalidFrameLength ? .messageTooLarge : .protocolError)
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            close(.protocolError)
        default:
            context.close(promise: nil)
        }
    }

    /// The peer closed its sending side (FIN) without a close frame (the channel
    /// allows remote half-closure). It will send nothing more, not even a pong, so
    /// waiting for the next ping to notice would hold the socket, its fd and its hub
    /// slot for a whole ping interval: close at once (SPEC §7).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound: events

    /// A live event routed to this socket. Does not flush; returns true when this
    /// write is the first since the last flush, so the caller flushes this socket once
    /// after its batch.
    func deliverLive(_ frame: ByteBuffer, seq: Int64?) -> Bool {
        guard identity.subscribes else { return false }
        switch phase {
        case .replaying:
            if replayWritePending {
                liveWhileReplayWritePending += 1
                if liveWhileReplayWritePending > settings.sendQueueLimit {
                    evict()
                    return false
                }
            }
            replayBuffer.append(Pending(frame: frame, seq: seq))
            if replayBuffer.count > settings.sendQueueLimit { replayBufferOverflowed() }
            return false
        case .live:
            if let seq {
                guard seq > lastSeq else { return false }
                lastSeq = seq
            }
            let wasPending = needsFlush
            enqueue(frame)
            return needsFlush && !wasPending
        case .closing, .closed:
            return false
        }
    }

    /// Writes frames read from the log during replay and flushes them; returns a
    /// future that completes when the last one is written, for back-pressure.
    func deliverReplay(_ frames: [(ByteBuffer, Int64)]) -> EventLoopFuture<Void>? {
        guard case .replaying = phase, let context else { return nil }
        var last: EventLoopFuture<Void>?
        for (frame, seq) in frames where seq > lastSeq {
            lastSeq = seq
            let promise = context.eventLoop.makePromise(of: Void.self)
            output.write(NIOAny(frame), promise: promise)
            last = promise.futureResult
        }
        output.flush()
        if let last {
            replayWritePending = true
            liveWhileReplayWritePending = 0
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            last.whenComplete { _ in this.value.replayWritePending = false }
        }
        return last
    }

    /// The live buffer of a replaying socket is full. Its frames with a `seq` are in
    /// the log (persist before deliver): drop them and let the replay read them from
    /// there. Frames without a `seq` (events of another workspace) are not in this
    /// workspace's log: they stay, and if they alone fill the buffer the socket is
    /// evicted.
    private func replayBufferOverflowed() {
        metrics.replayBufferDropped()
        replayBuffer = CircularBuffer(replayBuffer.filter { $0.seq == nil })
        replayBufferDropped = true
        if replayBuffer.count > settings.sendQueueLimit { evict() }
    }

    /// Ends the replay, which has sent the log through `seq`: sends the live frames
    /// buffered meanwhile that the replay did not already cover, then switches to live
    /// delivery. Returns false, staying in replay, when the live buffer overflowed and
    /// dropped frames since the last call: the replay must then read the log after
    /// `seq` and call again. True once live, or when the socket is no longer replaying.
    @discardableResult
    func finishReplay(through seq: Int64) -> Bool {
        guard case .replaying = phase else { return true }
        lastSeq = max(lastSeq, seq)
        if replayBufferDropped {
            replayBufferDropped = false
            return false
        }
        phase = .live
        let buffered = replayBuffer
        replayBuffer.removeAll()
        for pending in buffered {
            // An eviction inside this loop wrote the close frame: nothing may follow it.
            if isClosing { break }
            if let seq = pending.seq {
                guard seq > lastSeq else { continue }
                lastSeq = seq
            }
            enqueue(pending.frame)
        }
        flushIfNeeded()
        return true
    }

    /// Sends a control-plane text frame (`{"type":"pong"}`) and flushes it.
    private func sendText(_ bytes: [UInt8]) {
        guard let context, !isClosing else { return }
        output.writeAndFlush(NIOAny(WebSocketFrameBytes.encode(.text, payload: bytes, allocator: context.channel.allocator)), promise: nil)
    }

    /// The hello, followed in the same write by a ping whose answer is the round-trip
    /// floor's first sample: it queues behind nothing but the hello, before the replay
    /// and any live frame, so an overload from the first event on cannot lengthen it.
    /// It is no probe: it has no deadline and never makes the socket count as behind.
    func sendHello(_ bytes: [UInt8]) {
        guard let context, !isClosing else { return }
        output.write(NIOAny(WebSocketFrameBytes.encode(.text, payload: bytes, allocator: context.channel.allocator)), promise: nil)
        if identity.subscribes {
            floorPingSentAt = .now()
            output.write(NIOAny(WebSocketFrameBytes.ping(token: Self.floorPingToken, allocator: context.channel.allocator)), promise: nil)
        }
        output.flush()
    }

    func flushIfNeeded() {
        guard needsFlush, context != nil else { return }
        probeIfDue(followUp: followUpDue)
        needsFlush = false
        output.flush()
    }

    // MARK: Outbound: pacing probes

    /// Counts this socket in `pressure` from now on. Only subscribed sockets are paced.
    func joinPacing(_ pressure: RoomPressure) {
        guard identity.subscribes, !isClosing, self.pressure == nil else { return }
        self.pressure = pressure
    }

    /// After enough live bytes, a ping with a fresh token goes out behind them: the
    /// pong comes back only once the peer has read all of it, and how long that takes
    /// is how far behind the peer is, kernel buffers on both sides included (which
    /// writability alone never shows: loopback buffers held seconds of events).
    ///
    /// `followUp`: the previous probe was answered late (the peer was behind); the next
    /// flush probes again whatever it carries, which keeps a probe in flight for as
    /// long as the peer lags and sends it behind the latest frames. The follow-up rides
    /// on that flush's write: sent at once with a flush of its own, it cost a write per
    /// late answer, and with a 5 ms `lagLimit` that made a delivered frame cost 0.89
    /// µs instead of 0.64 under `Benchmarks/overload.sh`. A peer that answers in time
    /// costs one probe per `probeInterval`: following up every answer costs one ping
    /// and one pong read per socket per drain under a steady stream, which made a
    /// delivered frame cost twice as much at 1,000 sockets.
    private func probeIfDue(followUp: Bool = false) {
        guard pressure != nil, probeToken == 0, bytesSinceProbe >= (followUp ? 1 : settings.probeInterval),
              case .live = phase, let context
        else { return }
        followUpDue = false
        probesSent += 1
        probeToken = probesSent
        probeSentAt = .now()
        enqueue(WebSocketFrameBytes.ping(token: probeToken, allocator: context.channel.allocator), frames: 0)
        bytesSinceProbe = 0
        probeDeadlines.add(self, token: probeToken, due: probeSentAt + TimeAmount(settings.lagLimit))
    }

    /// The probe `token` has had no answer for `lagLimit` (`ProbeDeadlines`); nothing
    /// when it has been answered since or the socket is closing. A peer whose round
    /// trip alone is longer than the deadlines' coalescing gets the rest of its
    /// `roundTripFloor` first, on a timer of its own.
    func probeOverdue(_ token: UInt64) {
        guard token == probeToken, case .keepingUp = lag, let pressure, let context else { return }
        let due = probeSentAt + TimeAmount(settings.lagLimit) + roundTripFloor.value
        if due > context.eventLoop.now + ProbeDeadlines.coalescing {
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(deadline: due) { this.value.probeOverdue(token) }
            return
        }
        lag = .behind
        pressure.socketFellBehind()
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: TimeAmount(settings.stuckAfter - settings.lagLimit)) {
            this.value.probeStuck(token)
        }
    }

    private func probeStuck(_ token: UInt64) {
        guard token == probeToken, case .behind = lag else { return }
        lag = .stuck
        pressure?.socketCaughtUp()
    }

    /// A pong: the answer to the ping sent with the hello (the floor's first sample),
    /// or the probe's when it carries its token or answers a keep-alive ping sent after
    /// the probe.
    private func pongReceived(_ payload: ByteBuffer) {
        var payload = payload
        if let sentAt = floorPingSentAt, payload.readableBytes == 8,
           payload.getInteger(at: payload.readerIndex, as: UInt64.self) == Self.floorPingToken {
            floorPingSentAt = nil
            roundTripFloor.add(.now() - sentAt)
            return
        }
        guard probeToken != 0 else { return }
        let carriesToken = payload.readableBytes == 8
        let answersProbe = carriesToken
            ? payload.readInteger(as: UInt64.self) == probeToken
            : payload.readableBytes == 0 && keepAliveSentAt > probeSentAt
        guard answersProbe else { return }
        // A keep-alive's answer was sampled as such; this is the probe's own.
        if carriesToken { roundTripFloor.add(.now() - probeSentAt) }
        probeToken = 0
        let answeredLate: Bool
        switch lag {
        case .keepingUp:
            answeredLate = false
        case .behind:
            answeredLate = true
            pressure?.socketCaughtUp()
        case .stuck:
            answeredLate = true
        }
        lag = .keepingUp
        if answeredLate { followUpDue = true }
    }

    /// Stops counting in the room (closing: the socket gets nothing more).
    private func leavePacing() {
        if case .behind = lag {
            pressure?.socketCaughtUp()
        }
        lag = .stuck
        pressure = nil
    }

    /// A run of consecutive live events routed to this socket, pre-concatenated into
    /// one buffer by the outbox (the same buffer for every socket of the room), with
    /// the lowest and highest workspace `seq` in it. Written with one `write` when the
    /// socket is live and has seen none of them; otherwise each frame goes through
    /// `deliverLive`, which buffers and de-duplicates one by one.
    func deliverLiveRun(
        _ run: ByteBuffer, frames: Int, firstSeq: Int64?, lastSeq runLast: Int64?, each: () -> [(ByteBuffer, Int64?)]
    ) -> Bool {
        guard identity.subscribes else { return false }
        guard case .live = phase, firstSeq.map({ $0 > lastSeq }) ?? true else {
            var first = false
            for (frame, seq) in each() where deliverLive(frame, seq: seq) { first = true }
            return first
        }
        if let runLast { lastSeq = max(lastSeq, runLast) }
        let wasPending = needsFlush
        enqueue(run, frames: frames)
        return needsFlush && !wasPending
    }

    private func enqueue(_ frame: ByteBuffer, frames: Int = 1) {
        bytesSinceProbe &+= frame.readableBytes
        if writable && backlog.isEmpty {
            output.write(NIOAny(frame), promise: nil)
            needsFlush = true
            return
        }
        backlog.append((frame, frames))
        backlogFrames += frames
        if backlogFrames > settings.sendQueueLimit { evict() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        while writable, let entry = backlog.popFirst() {
            backlogFrames -= entry.frames
            output.write(NIOAny(entry.buffer), promise: nil)
            needsFlush = true
            writable = context.channel.isWritable
        }
        // Also when the channel just became unwritable mid-batch: flushing hands NIO's
        // buffer to the kernel, which usually takes it at once and makes the channel
        // writable again, instead of the rest of the burst piling into the backlog.
        flushIfNeeded()
        context.fireChannelWritabilityChanged()
    }

    private func evict() {
        metrics.slowConsumerEvicted()
        backlog.removeAll()
        backlogFrames = 0
        replayBuffer.removeAll()
        if case .replaying = phase { phase = .live }
        close(.slowConsumer)
    }

    // MARK: Closing

    private var isClosing: Bool {
        switch phase {
        case .closing, .closed: return true
        default: return false
        }
    }

    /// Starts the close handshake with `code`; the connection is dropped when the peer
    /// answers or after `closeGrace`, whichever comes first.
    func close(_ code: CloseCode) {
        guard let context, !isClosing else { return }
        phase = .closing
        leavePacing()
        cancelTimers()
        output.writeAndFlush(NIOAny(WebSocketFrameBytes.close(code, allocator: context.channel.allocator)), promise: nil)
        let channel = context.channel
        // An evicted peer is behind by definition: give it longer to read up to the
        // close frame, so it learns why (4008) instead of seeing a bare disconnect.
        let grace = code == .slowConsumer ? max(settings.closeGrace, settings.evictionGrace) : settings.closeGrace
        closeTimer = context.eventLoop.scheduleTask(in: TimeAmount(grace)) {
            channel.close(promise: nil)
        }
    }

    private func cancelTimers() {
        for timer in timers { timer.cancel() }
        timers.removeAll()
        pingTask?.cancel()
        pingTask = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if isClosing {
            // Our close frame is out: only the peer's close reply matters now.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        // No extension is negotiated, so every RSV bit must be clear (RFC 6455 §5.2).
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return close(.protocolError) }
        switch frame.opcode {
        case .connectionClose:
            receivedClose(frame, context: context)
        case .ping:
            let pong = WebSocketFrameBytes.encode(.pong, payload: frame.unmaskedData, allocator: context.channel.allocator)
            output.writeAndFlush(NIOAny(pong), promise: nil)
        case .pong:
            if awaitingPong, frame.unmaskedData.readableBytes == 0 { roundTripFloor.add(.now() - keepAliveSentAt) }
            awaitingPong = false
            pongReceived(frame.unmaskedData)
        case .text, .binary:
            // A new message while a fragmented one is open is bad fragmentation.
            guard inboundMessage == nil else { return close(.protocolError) }
            inboundOpcode = frame.opcode
            inboundText = UTF8Validator()
            accumulate(frame, context: context)
        case .continuation:
            guard inboundMessage != nil else { return close(.protocolError) }
            accumulate(frame, context: context)
        default:
            // Reserved opcodes 0x3-0x7 and 0xB-0xF.
            close(.protocolError)
        }
    }

    /// The peer's close frame: echo its code and drop the connection, unless the
    /// frame itself is invalid (RFC 6455 §5.5.1, §7.4): a 1-byte body or a code that
    /// may not be sent is 1002, a reason that is not UTF-8 is 1007.
    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        var payload = frame.unmaskedData
        var code = CloseCode.normal.rawValue
        if payload.readableBytes > 0 {
            guard let received = payload.readInteger(as: UInt16.self) else { return close(.protocolError) }
            guard CloseCode.mayBeSent(received) else { return close(.protocolError) }
            guard UTF8Validator.isValid(payload.readableBytesView) else { return close(.invalidPayload) }
            code = received
        }
        phase = .closing
        leavePacing()
        cancelTimers()
        var reply = context.channel.allocator.buffer(capacity: 2)
        reply.writeInteger(code)
        let channel = context.channel
        output.writeAndFlush(NIOAny(WebSocketFrameBytes.encode(.close, payload: reply, allocator: context.channel.allocator)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    private func accumulate(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        var message = inboundMessage ?? context.channel.allocator.buffer(capacity: frame.length)
        guard message.readableBytes + frame.length <= settings.maxInboundMessageBytes else {
            inboundMessage = nil
            close(.messageTooLarge)
            return
        }
        var data = frame.unmaskedData
        if inboundOpcode == .text {
            // Fail fast: a fragment that cannot be part of valid UTF-8 ends it now.
            guard inboundText.consume(data.readableBytesView), frame.fin ? inboundText.isComplete : true else {
                inboundMessage = nil
                close(.invalidPayload)
                return
            }
        }
        message.writeBuffer(&data)
        guard frame.fin else {
            inboundMessage = message
            return
        }
        inboundMessage = nil
        if settings.echo {
            let opcode: WebSocketFrameBytes.Opcode = inboundOpcode == .text ? .text : .binary
            output.writeAndFlush(NIOAny(WebSocketFrameBytes.encode(opcode, payload: message, allocator: context.channel.allocator)), promise: nil)
        } else if inboundOpcode == .text {
            handleText(message)
        }
    }

    /// `{"type":"ping"}` is answered with `{"type":"pong"}`; `{"type":"publish",…}` is
    /// published (SPEC §7); anything else is ignored.
    private func handleText(_ message: ByteBuffer) {
        let bytes = Array(message.readableBytesView)
        guard let members = try? JSONScanner.objectMembers(bytes),
              let type = members.first(where: { $0.key == "type" })
        else { return }
        let kind = bytes[type.valueRange]
        if kind.elementsEqual(#""ping""#.utf8) {
            sendText(Array(#"{"type":"pong"}"#.utf8))
        } else if kind.elementsEqual(#""publish""#.utf8) {
            handlePublish(bytes, members)
        }
    }

    // MARK: Publishing

    /// Past this many unanswered publishes the socket stops being read (TCP pushes
    /// back on the client; nothing is dropped), and reading resumes below half of it.
    static let maxUnacked = 1000

    private func handlePublish(_ bytes: [UInt8], _ members: [JSONScanner.Member]) {
        guard !isClosing, let context else { return }
        let ticket = replies.reserve()
        var ref: String?
        if let raw = members.first(where: { $0.key == "ref" }) {
            ref = JSONScanner.decodeString(bytes[raw.valueRange])
            guard let value = ref, value.count <= 64 else {
                ref = nil
                return answer(ticket, ref: nil, .error(status: 400, message: "field 'ref' must be a string of at most 64 characters"))
            }
        }
        guard let publishing else {
            return answer(ticket, ref: ref, .error(status: 501, message: "publishing over the socket is not enabled"))
        }
        guard let event = members.first(where: { $0.key == "event" }), bytes[event.valueRange].first == UInt8(ascii: "{") else {
            return answer(ticket, ref: ref, .error(status: 400, message: "field 'event' must be a JSON object"))
        }
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let replyRef = ref
        publishing.publish(event: Array(bytes[event.valueRange]), from: identity) { reply in
            loop.execute { this.value.answer(ticket, ref: replyRef, reply) }
        }
        if replies.pending >= Self.maxUnacked, !readPaused {
            readPaused = true
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        }
    }

    /// Records the answer of publish `ticket` and writes every answer now due, in order.
    private func answer(_ ticket: Int, ref: String?, _ reply: PublishReply) {
        let ready = replies.fill(ticket, with: reply.frame(ref: ref))
        guard let context, !ready.isEmpty else { return }
        if !isClosing {
            for frame in ready {
                output.write(NIOAny(WebSocketFrameBytes.encode(.text, payload: frame, allocator: context.channel.allocator)), promise: nil)
            }
            // One flush for every answer of a group commit: each answer comes in a task of
            // its own, queued together, so a flush queued behind them writes them all in
            // one syscall (one per ack was 7% of the server's CPU under pipelined publishing).
            if !ackFlushQueued {
                ackFlushQueued = true
                let this = NIOLoopBound(self, eventLoop: context.eventLoop)
                context.eventLoop.execute {
                    this.value.ackFlushQueued = false
                    this.value.output.flush()
                }
            }
        }
        if readPaused, replies.pending <= Self.maxUnacked / 2 {
            readPaused = false
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            context.read()
        }
    }

    private func sendPing() {
        guard let context, !isClosing else { return }
        if awaitingPong {
            // The previous ping went unanswered: the peer is gone.
            context.close(promise: nil)
            return
        }
        awaitingPong = true
        keepAliveSentAt = .now()
        output.writeAndFlush(NIOAny(WebSocketFrameBytes.encode(.ping, payload: [UInt8](), allocator: context.channel.allocator)), promise: nil)
    }
}
