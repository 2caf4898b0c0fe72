import NIOCore
import UFIndex

#if canImport(Glibc)
import Glibc
#endif

/// Keeps each connection on the processor its client runs on (Linux).
///
/// Waking a thread on another processor costs a virtual machine an inter-processor interrupt
/// and the sleeping processor's exit from its idle state: on our 2-core test machines a PING
/// round trip took 70–90 µs when the client and the event loop sat on different processors and
/// about 20 µs when they shared one. So the server runs one event loop per processor (up to
/// ``LineServer``'s limit), pins each loop's thread to its processors, and listens with one
/// `SO_REUSEPORT` socket per loop. A classic BPF program attached to that group
/// (`SO_ATTACH_REUSEPORT_CBPF`) picks, for each incoming connection, the socket of the loop
/// pinned to the processor the connection's first packet was handled on — for a loopback
/// client, the client's own processor. That is what the kernel's `reuseport_bpf_cpu` selftest
/// does; connections from processors the program does not know fall back to the kernel's hash.
///
/// Steering is only an optimisation: where a step is unavailable the server listens on one
/// socket with unpinned loops, as before.
struct ProcessorSteering: Equatable {
    /// The processors each event loop is pinned to, by loop.
    let processors: [[Int]]
    /// The allowed processors, in the order the program tests them.
    let allowed: [Int]

    /// Steering for `loops` event loops over the `allowed` processors, or nil when it cannot
    /// help (one loop, one processor, or more processors than a BPF jump can skip).
    init?(allowed: [Int], loops: Int) {
        #if os(Linux)
        guard loops >= 2, allowed.count >= 2, allowed.count < 256 else { return nil }
        self.allowed = allowed
        var processors = Array(repeating: [Int](), count: min(loops, allowed.count))
        for (j, p) in allowed.enumerated() { processors[j % processors.count].append(p) }
        self.processors = processors
        #else
        return nil
        #endif
    }

    /// One classic BPF instruction (`struct sock_filter`).
    struct Instruction: Equatable {
        var code: UInt16
        var jt: UInt8
        var jf: UInt8
        var k: UInt32
    }

    /// Answer of the program for a processor it does not know: past the group's sockets, so the
    /// kernel falls back to its hash.
    static let unknownProcessor = UInt32.max

    /// The program: load the processor number, then for each allowed processor `allowed[j]`,
    /// return the index of its loop's socket (`j % loops`, the order the sockets were bound in).
    ///
    ///     0        ld  #cpu                       (BPF_LD|BPF_W|BPF_ABS, SKF_AD_OFF + SKF_AD_CPU)
    ///     1 + j    jeq #allowed[j], +m, +0        (m = allowed.count)
    ///     1 + m    ret #unknownProcessor
    ///     2 + m + j ret #(j % loops)
    var program: [Instruction] {
        let m = allowed.count
        var out = [Instruction(code: 0x20, jt: 0, jf: 0, k: UInt32(bitPattern: -0x1000 + 36))]
        for p in allowed { out.append(Instruction(code: 0x15, jt: UInt8(m), jf: 0, k: UInt32(p))) }
        out.append(Instruction(code: 0x06, jt: 0, jf: 0, k: Self.unknownProcessor))
        for j in 0..<m { out.append(Instruction(code: 0x06, jt: 0, jf: 0, k: UInt32(j % processors.count))) }
        return out
    }

    /// Runs the program by hand for a connection handled on `processor` (tests use it).
    func socketIndex(forProcessor processor: Int) -> UInt32? {
        let program = self.program
        var a: UInt32 = 0
        var pc = 0
        while pc < program.count {
            let i = program[pc]
            switch i.code {
            case 0x20: a = UInt32(processor)
            case 0x15: if a == i.k { pc += Int(i.jt) } else { pc += Int(i.jf) }
            case 0x06: return i.k == Self.unknownProcessor ? nil : i.k
            default: return nil
            }
            pc += 1
        }
        return nil
    }

    /// `struct sock_fprog`: the program's length and its instructions.
    private struct Program: @unchecked Sendable {
        var length: UInt16
        var filter: UnsafeRawPointer
    }

    /// Attaches the program to the reuseport group of `channel` (a listening socket).
    func attach(to channel: any Channel) throws {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else { throw ChannelError.operationUnsupported }
        let instructions = program
        try instructions.withUnsafeBytes { bytes in
            let fprog = Program(length: UInt16(instructions.count), filter: bytes.baseAddress!)
            // SO_ATTACH_REUSEPORT_CBPF; the call completes before `bytes` goes out of scope.
            try provider.unsafeSetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(51), value: fprog).wait()
        }
        #else
        throw ChannelError.operationUnsupported
        #endif
    }

    /// Pins the calling thread to loop `loop`'s processors.
    func pinCurrentThread(loop: Int) -> Bool {
        Sys.pinCurrentThread(to: processors[loop])
    }
}
