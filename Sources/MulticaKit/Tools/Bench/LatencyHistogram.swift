/// A log-linear histogram of nanosecond values: 32 sub-buckets per power of two, so
/// a reported percentile is within about 3% of the true value. Recording is one
/// bit scan and one increment; histograms of several event loops merge by addition.
public struct LatencyHistogram: Sendable {
    private static let subBits = 5
    private static let subCount = 1 << subBits
    private var counts = [Int](repeating: 0, count: 60 * (1 << 5))
    public private(set) var count = 0
    public private(set) var max: UInt64 = 0

    public init() {}

    @inline(__always)
    public mutating func record(_ value: UInt64) {
        counts[Self.index(value)] &+= 1
        count &+= 1
        if value > max { max = value }
    }

    @inline(__always)
    static func index(_ value: UInt64) -> Int {
        let msb = 63 - value.leadingZeroBitCount
        guard value >= UInt64(subCount) else { return Int(value) }
        let shift = msb - subBits
        return (shift + 1) * subCount + Int((value >> UInt64(shift)) & UInt64(subCount - 1))
    }

    /// The upper bound of the values in bucket `index`.
    static func upperBound(_ index: Int) -> UInt64 {
        guard index >= subCount else { return UInt64(index) }
        let shift = index / subCount - 1
        let sub = UInt64(index % subCount)
        return ((UInt64(subCount) + sub + 1) << UInt64(shift)) - 1
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        count += other.count
        if other.max > max { max = other.max }
    }

    /// The value at quantile `q` (0...1); 0 when empty. Never above the maximum seen.
    public func percentile(_ q: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, Int((Double(count) * q).rounded(.up)))
        var seen = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= rank { return Swift.min(Self.upperBound(i), max) }
        }
        return max
    }
}
