// multica-floor: the smallest raw-SwiftNIO WebSocket broadcaster that speaks enough
// of multica's protocol for `multica bench fanout --server URL` to measure it. No
// auth, no storage: it is the floor the framework allows, not a server.
//
// - `GET /ws?workspace_id=W…` upgrades and sends {"type":"hello","payload":{…,"head_seq":N}}.
// - `POST /api/events` with one `{type, workspace_id, payload}` object or an array of
//   them: each event gets the next seq of its workspace and is broadcast as one text
//   frame to every socket of that workspace; the answer is {"events":[{"seq":N},…]}
//   (or {"seq":N} for a single object).
// - A text frame `{"type":"publish","ref":R,"event":{"type":T,"payload":{…}}}` on a socket
//   publishes into its workspace the same way and is answered
//   `{"type":"ack","ref":R,"seq":N,"id":"evt_floor…"}`; the publish frames of one read go out
//   together, as the events of one request do. `?subscribe=false` sockets receive no events.
// - `POST /api/workspaces` answers {"id":"ws_floor_N"}; every other request 200/201 {}.
//
// Each frame (header and text) is encoded once into one ByteBuffer that every socket
// writes; a socket gets all frames of a request in one event-loop task and is
// flushed once per task.

import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Rooms

/// A subscriber: its raw writer sits first in the pipeline (next to the socket), so a
/// pre-encoded frame goes straight out without the frame encoder.
final class FloorSocket: ChannelOutboundHandler, @unchecked Sendable {
    // Confined to `loop` after creation (handler methods and the broadcast tasks both run there).
    typealias OutboundIn = ByteBuffer
    let loop: any EventLoop
    let workspace: String
    private var context: ChannelHandlerContext?

    init(loop: any EventLoop, workspace: String) {
        self.loop = loop
        self.workspace = workspace
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func send(_ frames: [ByteBuffer]) {
        guard let context else { return }
        for frame in frames { context.write(NIOAny(frame), promise: nil) }
        context.flush()
    }
}

struct LoopGroup: Sendable {
    let loop: any EventLoop
    var sockets: [FloorSocket]
}

struct Room: Sendable {
    var seq: Int64 = 0
    var groups: [LoopGroup] = []
}

final class Rooms: Sendable {
    private let rooms = Mutex<[String: Room]>([:])
    private let workspaces = Atomic<Int>(0)

    func nextWorkspaceID() -> String { "ws_floor_\(workspaces.wrappingAdd(1, ordering: .relaxed).newValue)" }

    /// Registers `socket`; returns the workspace head for the hello.
    func add(_ socket: FloorSocket) -> Int64 {
        rooms.withLock { rooms in
            var room = rooms[socket.workspace] ?? Room()
            if let i = room.groups.firstIndex(where: { $0.loop === socket.loop }) {
                room.groups[i].sockets.append(socket)
            } else {
                room.groups.append(LoopGroup(loop: socket.loop, sockets: [socket]))
            }
            rooms[socket.workspace] = room
            return room.seq
        }
    }

    func remove(_ socket: FloorSocket) {
        rooms.withLock { rooms in
            guard var room = rooms[socket.workspace] else { return }
            for i in room.groups.indices { room.groups[i].sockets.removeAll { $0 === socket } }
            room.groups.removeAll { $0.sockets.isEmpty }
            rooms[socket.workspace] = room
        }
    }

    /// Assigns seqs to `count` events of `workspace`; returns the first and the sockets.
    func reserve(_ workspace: String, count: Int) -> (first: Int64, groups: [LoopGroup]) {
        rooms.withLock { rooms in
            var room = rooms[workspace] ?? Room()
            let first = room.seq + 1
            room.seq += Int64(count)
            rooms[workspace] = room
            return (first, room.groups)
        }
    }
}

extension Rooms {
    /// Gives `events` the next seqs of `workspace` and hands their frames, encoded once, to
    /// every socket of the room in one task per event loop. Returns the first seq.
    func broadcast(_ events: [ArraySlice<UInt8>], of workspace: String, allocator: ByteBufferAllocator,
                   frame: (Int64, ArraySlice<UInt8>) -> [UInt8]) -> Int64 {
        let (first, groups) = reserve(workspace, count: events.count)
        var frames: [ByteBuffer] = []
        frames.reserveCapacity(events.count)
        for (k, event) in events.enumerated() {
            frames.append(Frame.text(frame(first + Int64(k), event), allocator: allocator))
        }
        let encoded = frames
        for group in groups {
            group.loop.execute {
                for socket in group.sockets { socket.send(encoded) }
            }
        }
        return first
    }
}

// MARK: Frames

enum Frame {
    /// A server text frame (unmasked): header and payload in one buffer.
    static func text(_ bytes: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: bytes.count + 10)
        buffer.writeInteger(UInt8(0x81))
        if bytes.count < 126 {
            buffer.writeInteger(UInt8(bytes.count))
        } else if bytes.count <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(bytes.count))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(bytes.count))
        }
        buffer.writeBytes(bytes)
        return buffer
    }

    /// An envelope of about multica's size around the posted object (payload kept last).
    /// `workspace` is set for a socket's publish, whose event names none.
    static func event(seq: Int64, workspace: String? = nil, element: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(element.count + 220)
        out.append(contentsOf: #"{"id":"evt_floor0000000000000000000000","seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        if let workspace { out.append(contentsOf: #","workspace_id":"\#(workspace)""#.utf8) }
        out.append(contentsOf: #","actor_type":"member","actor_id":"usr_floor000000000000000000000","ts":"2026-01-01T00:00:00.000Z","synthetic":true,"#.utf8)
        out.append(contentsOf: element.dropFirst())  // the object without its "{"
        return out
    }
}

enum JSONBytes {
    /// Byte ranges of the elements of a top-level array (or the whole body for an object).
    /// The floor is posted objects; any other element is skipped.
    static func elements(_ bytes: [UInt8]) -> [Range<Int>] {
        guard let first = bytes.firstIndex(where: { $0 > 32 }) else { return [] }
        guard bytes[first] == UInt8(ascii: "[") else { return [first..<bytes.count] }
        var result: [Range<Int>] = []
        var i = first + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["), 34:
                guard let last = end(of: i, in: bytes) else { return result }
                if bytes[i] != 34 { result.append(i..<(last + 1)) }
                i = last + 1
            case UInt8(ascii: "]"):
                return result
            default:
                i += 1
            }
        }
        return result
    }

    /// The range of the object that follows the first `"key":` in `bytes`.
    static func object(_ key: String, in bytes: [UInt8]) -> Range<Int>? {
        let needle = Array("\"\(key)\":".utf8)
        guard let at = bytes.indices.first(where: { bytes[$0...].starts(with: needle) }) else { return nil }
        let start = at + needle.count
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{"), let last = end(of: start, in: bytes) else { return nil }
        return start..<(last + 1)
    }

    /// The index of what closes the string, object or array that starts at `start`.
    private static func end(of start: Int, in bytes: [UInt8]) -> Int? {
        var depth = 0, inString = false, escaped = false
        for i in start..<bytes.count {
            let c = bytes[i]
            if inString {
                if escaped { escaped = false } else if c == 92 { escaped = true } else if c == 34 {
                    inString = false
                    if depth == 0 { return i }
                }
                continue
            }
            switch c {
            case 34: inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
        }
        return nil
    }

    /// The string after the first `"key":"` in `bytes`.
    static func string(_ key: String, in bytes: ArraySlice<UInt8>) -> String? {
        let needle = Array("\"\(key)\":\"".utf8)
        var i = bytes.startIndex
        while i + needle.count <= bytes.endIndex {
            if bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle) {
                let start = i + needle.count
                guard let end = bytes[start...].firstIndex(of: 34) else { return nil }
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            i += 1
        }
        return nil
    }
}

// MARK: HTTP

final class FloorHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let rooms: Rooms
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?

    init(rooms: Rooms) { self.rooms = rooms }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = nil
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let head else { return }
            self.head = nil
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            switch (head.method, path) {
            case (.POST, "/api/events"):
                respond(context, head, .created, publish(bytes, allocator: context.channel.allocator))
            case (.POST, "/api/workspaces"):
                respond(context, head, .created, #"{"id":"\#(rooms.nextWorkspaceID())"}"#)
            case (.POST, _):
                respond(context, head, .created, "{}")
            default:
                respond(context, head, .ok, path == "/api/workspaces" ? "[]" : "{}")
            }
        }
    }

    private func publish(_ bytes: [UInt8], allocator: ByteBufferAllocator) -> String {
        let isBatch = bytes.first(where: { $0 > 32 }) == UInt8(ascii: "[")
        let elements = JSONBytes.elements(bytes)
        // Group by workspace, keeping order: each workspace's events get consecutive seqs.
        var order: [String] = []
        var byWorkspace: [String: [Int]] = [:]
        for (i, range) in elements.enumerated() {
            let workspace = JSONBytes.string("workspace_id", in: bytes[range]) ?? ""
            if byWorkspace[workspace] == nil { order.append(workspace) }
            byWorkspace[workspace, default: []].append(i)
        }
        var seqs = [Int64](repeating: 0, count: elements.count)
        for workspace in order {
            let indices = byWorkspace[workspace]!
            let first = rooms.broadcast(indices.map { bytes[elements[$0]] }, of: workspace, allocator: allocator) {
                Frame.event(seq: $0, element: $1)
            }
            for (k, i) in indices.enumerated() { seqs[i] = first + Int64(k) }
        }
        if !isBatch { return #"{"seq":\#(seqs.first ?? 0)}"# }
        return #"{"events":["# + seqs.map { #"{"seq":\#($0)}"# }.joined(separator: ",") + "]}"
    }

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ text: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        let keepAlive = request.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}

// MARK: WebSocket

final class FloorSocketReader: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let socket: FloorSocket
    private let rooms: Rooms
    /// The publish frames of the current read: each one's ref and event object.
    private var refs: [String] = []
    private var events: [ArraySlice<UInt8>] = []

    init(socket: FloorSocket, rooms: Rooms) {
        self.socket = socket
        self.rooms = rooms
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let bytes = Array(frame.unmaskedData.readableBytesView)
            guard JSONBytes.string("type", in: bytes[...]) == "publish", let event = JSONBytes.object("event", in: bytes)
            else { return }
            refs.append(JSONBytes.string("ref", in: bytes[...]) ?? "")
            events.append(bytes[event])
        case .connectionClose:
            var reply = context.channel.allocator.buffer(capacity: 2)
            reply.writeInteger(UInt16(1000))
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
                .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        default:
            break
        }
    }

    /// Broadcasts what this read published, then acks it, in order, in one flush.
    func channelReadComplete(context: ChannelHandlerContext) {
        if !events.isEmpty {
            let workspace = socket.workspace
            let first = rooms.broadcast(events, of: workspace, allocator: context.channel.allocator) {
                Frame.event(seq: $0, workspace: workspace, element: $1)
            }
            var acks: [ByteBuffer] = []
            for (k, ref) in refs.enumerated() {
                let ack = #"{"type":"ack","ref":"\#(ref)","seq":\#(first + Int64(k)),"id":"evt_floor0000000000000000000000"}"#
                acks.append(Frame.text(Array(ack.utf8), allocator: context.channel.allocator))
            }
            refs.removeAll(keepingCapacity: true)
            events.removeAll(keepingCapacity: true)
            socket.send(acks)
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        rooms.remove(socket)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

// MARK: Main

func query(_ uri: String, _ name: String) -> String? {
    guard let q = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
    for pair in q.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        if kv.first == Substring(name) { return kv.count > 1 ? String(kv[1]) : "" }
    }
    return nil
}

var listen = "127.0.0.1:0"
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--listen": listen = arguments.next() ?? listen
    case "-h", "--help":
        print("usage: multica-floor [--listen HOST:PORT]   (default 127.0.0.1:0)")
        exit(0)
    default:
        printError("multica-floor: unknown argument \(argument)")
        exit(2)
    }
}

func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
    printError("multica-floor: --listen must be HOST:PORT")
    exit(2)
}
let host = String(listen[..<colon])
let rooms = Rooms()
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 4096)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 16,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix("/ws") ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let socket = FloorSocket(loop: channel.eventLoop, workspace: query(head.uri, "workspace_id") ?? "")
                    try channel.pipeline.syncOperations.addHandler(socket, position: .first)
                    try channel.pipeline.syncOperations.addHandler(FloorSocketReader(socket: socket, rooms: rooms))
                    let head = query(head.uri, "subscribe") == "false" ? 0 : rooms.add(socket)
                    let hello = #"{"type":"hello","payload":{"workspace_id":"\#(socket.workspace)","user_id":"","head_seq":\#(head),"recovered":true}}"#
                    socket.send([Frame.text(Array(hello.utf8), allocator: channel.allocator)])
                }
            }
        )
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                    context.pipeline.removeHandler(name: "floor-http", promise: nil)
                })
            )
            try channel.pipeline.syncOperations.addHandler(FloorHTTPHandler(rooms: rooms), name: "floor-http")
        }
    }

do {
    let server = try await bootstrap.bind(host: host, port: port).get()
    printError("multica-floor listening on http://\(host):\(server.localAddress?.port ?? port)")
    try await server.closeFuture.get()
} catch {
    printError("multica-floor: \(error)")
    exit(1)
}
