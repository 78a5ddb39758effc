import COpenSSL

/// HMACs and digests from OpenSSL's libcrypto, for MESSAGE-INTEGRITY(-SHA256) and key derivation.
enum STUNCrypto {
    static func hmacSHA1(key: [UInt8], data: [UInt8]) -> [UInt8] { hmac(EVP_sha1(), size: 20, key: key, data: data) }
    static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] { hmac(EVP_sha256(), size: 32, key: key, data: data) }
    static func md5(_ data: [UInt8]) -> [UInt8] { digest(EVP_md5(), size: 16, data: data) }
    static func sha256(_ data: [UInt8]) -> [UInt8] { digest(EVP_sha256(), size: 32, data: data) }

    private static func hmac(_ md: OpaquePointer?, size: Int, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var outLength: UInt32 = 0
        // OpenSSL refuses a NULL key pointer even with length 0, so an empty key points at a spare byte.
        let keyStorage = key.isEmpty ? [0] : key
        keyStorage.withUnsafeBufferPointer { keyPointer in
            data.withUnsafeBufferPointer { dataPointer in
                out.withUnsafeMutableBufferPointer { outPointer in
                    _ = HMAC(md, keyPointer.baseAddress, Int32(key.count), dataPointer.baseAddress, data.count,
                             outPointer.baseAddress, &outLength)
                }
            }
        }
        precondition(Int(outLength) == size, "OpenSSL HMAC failed")
        return out
    }

    private static func digest(_ md: OpaquePointer?, size: Int, data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var outLength: UInt32 = 0
        let dataStorage = data.isEmpty ? [0] : data
        let ok = dataStorage.withUnsafeBufferPointer { dataPointer in
            out.withUnsafeMutableBufferPointer { outPointer in
                EVP_Digest(dataPointer.baseAddress, data.count, outPointer.baseAddress, &outLength, md, nil)
            }
        }
        precondition(ok == 1 && Int(outLength) == size, "OpenSSL digest failed")
        return out
    }
}
