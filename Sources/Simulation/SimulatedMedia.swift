import ContentCredentials
import LedgerLog

/// The bytes of a simulated output: a small PNG for an image, an animated PNG (APNG) of a few
/// frames for a video clip, its colours drawn from SHA-256 of "seed/asset". The ledger records
/// their SHA-256, so a simulated delivery can be written out (`genledger simulate --media DIR`)
/// and given Content Credentials like a real one.
public enum SimulatedMedia {
    public static let side = 16

    public static func bytes(seed: UInt64, asset: String, video: Bool) -> [UInt8] {
        let digest = SHA256.hash(Array("\(seed)/\(asset)".utf8)).bytes
        let frames = video ? 3 : 1
        return PNG.image(
            width: side, height: side,
            frames: (0..<frames).map { frame in
                var pixels: [UInt8] = []
                pixels.reserveCapacity(side * side * 3)
                for y in 0..<side {
                    for x in 0..<side {
                        // A diagonal gradient between two colours of the digest, moving one pixel a frame.
                        let t = (x + y + frame) % (2 * side)
                        for channel in 0..<3 {
                            let from = Int(digest[channel]), to = Int(digest[3 + channel])
                            pixels.append(UInt8(from + (to - from) * t / (2 * side - 1)))
                        }
                    }
                }
                return pixels
            }, frameMilliseconds: 200)
    }

    public static func sha256(seed: UInt64, asset: String, video: Bool) -> String {
        SHA256.hash(bytes(seed: seed, asset: asset, video: video)).description
    }
}
