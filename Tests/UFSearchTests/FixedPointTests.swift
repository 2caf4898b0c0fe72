import Foundation
import Testing
import UFSearch

struct FixedPointTests {
    /// Equal to `String(format: "%.Nf")` on random scores, ties, tiny and large values.
    @Test func matchesPrintf() {
        var values: [Double] = [0, -0.0, 0.005, 0.015, 0.025, 0.125, 0.375, 1.005, 2.675, 5.325, 9.995, 99.995,
                                1e-300, Double.leastNonzeroMagnitude, -1e-9, 0.5, 1.5, 2.5, 123456.785, 0x1p48, 0x1p48 + 0.5, 12.34375]
        var z: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0 ..< 200_000 {
            z = z &* 6364136223846793005 &+ 1442695040888963407
            let bits = z >> 11
            switch i % 4 {
            case 0: values.append(Double(bits) / Double(1 << 53) * 20)  // scores
            case 1: values.append(Double(bits % 100_000) / 1000 + 0.0005)  // near ties
            case 2: values.append(Double(bits % 1_000_000) / 8)  // exact binary fractions, exact ties
            default: values.append(-Double(bits) / Double(1 << 40))
            }
        }
        for x in values {
            for d in 0 ... 4 {
                #expect(FixedPoint.format(x, digits: d) == String(format: "%.\(d)f", x), "\(x) \(d)")
            }
        }
        #expect(FixedPoint.format(.nan, digits: 2) == nil)
        #expect(FixedPoint.format(1e20, digits: 2) == nil)
    }

    /// `text` covers what `format` declines (large magnitudes, more digits, non-finite values) as
    /// printf does, and is `format` where that answers.
    @Test func textCoversEveryNumber() {
        let values: [Double] = [0, 1.5, -2.675, 5.325, 1e20, -1e20, 0x1p49, 0x1p49 + 1, 1.7976931348623157e308,
                                -1.7976931348623157e308, 123456789012345.678, 1e-300, 3.14159265358979]
        for x in values {
            for d in 0 ... 17 {
                #expect(FixedPoint.text(x, digits: d) == String(format: "%.\(d)f", x), "\(x) \(d)")
            }
        }
        #expect(FixedPoint.text(.nan, digits: 4) == "nan")
        #expect(FixedPoint.text(.infinity, digits: 1) == "inf")
        #expect(FixedPoint.text(-.infinity, digits: 0) == "-inf")
        #expect(FixedPoint.text(2.5, digits: 0) == "2")
        #expect(FixedPoint.text(-0.0, digits: 2) == "-0.00")
    }
}
