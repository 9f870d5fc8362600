import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback TCP client built on POSIX sockets, for tests that must send
/// bytes no HTTP or WebSocket library would (oversized headers, raw frames) and end
/// the connection in a chosen way (close frame, FIN, RST).
///
/// Every read is bounded by `poll` with a deadline; nothing here can hang a test.
/// Not thread-safe: one test task owns one instance.
final class RawTCP {
    private(set) var fd: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect: errno \(code)")
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Writes all of `bytes`; a peer that closed early ends the write quietly (the
    /// test then reads what the server answered).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads whatever arrives until `until` says stop, the peer closes, or `timeout`
    /// seconds pass. Returns the bytes and whether the peer closed (EOF or reset).
    func read(timeout: Double, until: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], closed: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !until(received) {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return (received, false) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(max(1, remaining * 1000)))
            if ready <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (received, true) }
            received.append(contentsOf: chunk[0..<n])
        }
        return (received, false)
    }

    /// Reads an HTTP response head (through the blank line) and returns it as text.
    func readHead(timeout: Double) -> String {
        let marker = Array("\r\n\r\n".utf8)
        let (bytes, _) = read(timeout: timeout) { $0.firstRange(of: marker) != nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sends FIN: the write side closes, the read side stays open.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Closes with RST instead of FIN (SO_LINGER with a zero timeout).
    func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close(fd)
        fd = -1
    }

    func closeNow() {
        close(fd)
        fd = -1
    }

    // MARK: WebSocket helpers

    /// Sends the upgrade request for `path` and reads the 101 head; any bytes after
    /// the head (the hello frame) stay in `pending`.
    func upgrade(port: Int, path: String, timeout: Double = 5) throws {
        send(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        let marker = Array("\r\n\r\n".utf8)
        let (bytes, _) = read(timeout: timeout) { $0.firstRange(of: marker) != nil }
        guard let end = bytes.firstRange(of: marker) else { throw Failure(description: "no upgrade response") }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 101") else { throw Failure(description: "upgrade refused: \(head)") }
        pending = Array(bytes[end.upperBound...])
    }

    /// Bytes read past the last parsed frame.
    private var pending: [UInt8] = []

    struct Frame {
        let fin: Bool
        let opcode: UInt8
        let payload: [UInt8]

        var closeCode: UInt16? {
            opcode == 0x8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
        }
    }

    /// The next server frame within `timeout`; nil when the connection ended first or
    /// nothing came.
    func nextFrame(timeout: Double) -> Frame? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let (frame, used) = Self.parse(pending) {
                pending.removeFirst(used)
                return frame
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var got: [UInt8] = []
            let (bytes, closed) = read(timeout: remaining) { !$0.isEmpty }
            got = bytes
            pending += got
            if closed && Self.parse(pending) == nil { return nil }
        }
    }

    /// Reads frames until a close frame (its code, or 1005 when it has none) or the
    /// end of the connection (nil).
    func closeCode(timeout: Double) -> UInt16? {
        let deadline = Date().addingTimeInterval(timeout)
        while deadline.timeIntervalSinceNow > 0 {
            guard let frame = nextFrame(timeout: deadline.timeIntervalSinceNow) else { return nil }
            if frame.opcode == 0x8 { return frame.closeCode ?? 1005 }
        }
        return nil
    }

    /// Whether the server ends the TCP connection within `timeout` (EOF or reset).
    func waitForEOF(timeout: Double) -> Bool {
        read(timeout: timeout).closed
    }

    /// The processes holding the server's end of this connection: its socket inode
    /// from /proc/net/tcp (local = the server's port, remote = this socket's port), then
    /// every /proc/PID/fd that links to it, as "PID (command)". For failure messages: a
    /// server end that outlives its close is either still open in this process or was
    /// inherited by a child.
    func serverSideHolders(serverPort: Int) -> [String] {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return ["getsockname: errno \(errno)"] }
        let clientPort = Int(UInt16(bigEndian: address.sin_port))
        func hexPort(_ port: Int) -> String {
            let digits = String(port, radix: 16, uppercase: true)
            return ":" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
        let local = hexPort(serverPort), remote = hexPort(clientPort)
        // Read to the end: /proc files report size 0, and the table is many pages long.
        let table = String(decoding: (try? FileHandle(forReadingAtPath: "/proc/net/tcp")?.readToEnd()) ?? Data(), as: UTF8.self)
        var inode: String?
        var states: [String] = []
        for line in table.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count > 9 else { continue }
            // Both ends: state (01 established, 04 fin-wait-1, 08 close-wait, ...), queues, inode.
            if columns[1].hasSuffix(local), columns[2].hasSuffix(remote) {
                inode = String(columns[9])
                states.append("server end st=\(columns[3]) tx:rx=\(columns[4]) inode=\(columns[9])")
            } else if columns[1].hasSuffix(remote), columns[2].hasSuffix(local) {
                states.append("client end st=\(columns[3]) tx:rx=\(columns[4]) inode=\(columns[9])")
            }
        }
        guard let inode, inode != "0" else { return states.isEmpty ? ["no such connection in /proc/net/tcp"] : states }
        let target = "socket:[\(inode)]"
        var holders: [String] = states
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            guard fds.contains(where: { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) == target }) else {
                continue
            }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
                .split(separator: "\0").prefix(3).joined(separator: " ") ?? "?"
            holders.append("\(pid)\(Int32(pid) == getpid() ? " (this test process)" : "") \(command)")
        }
        return holders
    }

    private static func parse(_ bytes: [UInt8]) -> (Frame, Int)? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard bytes.count >= offset + length else { return nil }
        return (Frame(fin: bytes[0] & 0x80 != 0, opcode: bytes[0] & 0x0F, payload: Array(bytes[offset..<(offset + length)])), offset + length)
    }

    /// A client frame (masked, as RFC 6455 requires) with full control of its first
    /// byte: FIN, RSV bits and opcode. `declaredLength` lies about the length.
    static func clientFrame(fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, payload: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 0x7) << 4 | (opcode & 0x0F)]
        let length = declaredLength ?? UInt64(payload.count)
        switch length {
        case ..<126: out.append(0x80 | UInt8(length))
        case ..<65536: out += [0x80 | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        default:
            out.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((length >> UInt64(shift)) & 0xFF)) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        out += mask
        for (index, byte) in payload.enumerated() { out.append(byte ^ mask[index % 4]) }
        return out
    }
}

/// A task executor on Dispatch's ordinary threads, for the tests that block on raw
/// sockets (`RawTCP` polls and reads synchronously): run there, a blocked test holds one
/// of those threads, never one of the two threads of Swift's cooperative pool that the
/// other suites' in-process servers need (they starved and timed out otherwise).
final class BlockingTestExecutor: TaskExecutor {
    static let shared = BlockingTestExecutor()
    private let queue = DispatchQueue(label: "multica.tests.blocking", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// Runs a test body that may block on raw sockets on `BlockingTestExecutor`.
func allowingBlocking<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(BlockingTestExecutor.shared) { try await body() }
}
