import Foundation

/// Finds the strongest frequency in decoded audio, to check that a test tone survived Opus coding and
/// transport: the Goertzel algorithm evaluates the signal's power at each candidate frequency.
public enum ToneAnalysis {
    /// The candidate frequency (Hz) with the most power in `samples` (mono, `sampleRate`), scanned in
    /// `step` Hz steps over `range`; nil for silence or too few samples.
    public static func dominantFrequency(_ samples: [Int16], sampleRate: Int, range: ClosedRange<Double> = 100...4_000,
                                         step: Double = 5) -> Double? {
        guard samples.count >= sampleRate / 50, samples.contains(where: { $0 != 0 }) else { return nil }
        var best: (frequency: Double, power: Double)?
        var frequency = range.lowerBound
        while frequency <= range.upperBound {
            let power = self.power(of: samples, at: frequency, sampleRate: sampleRate)
            if power > (best?.power ?? 0) { best = (frequency, power) }
            frequency += step
        }
        return best?.frequency
    }

    /// The Goertzel power of `samples` at `frequency`, normalised by the sample count.
    public static func power(of samples: [Int16], at frequency: Double, sampleRate: Int) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(sampleRate))
        var (previous, beforePrevious) = (0.0, 0.0)
        for sample in samples {
            let current = Double(sample) + coefficient * previous - beforePrevious
            beforePrevious = previous
            previous = current
        }
        let power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
        return power / Double(samples.count * samples.count)
    }
}
