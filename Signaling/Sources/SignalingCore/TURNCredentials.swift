import Crypto
import Foundation

/// Short-lived TURN credentials after the TURN REST API convention that coturn's `use-auth-secret` implements:
/// username `<unix expiry>:<id>`, password base64(HMAC-SHA1(shared secret, username)).
public enum TURNCredentials {
    public static func make(secret: String, sessionID: String, expiresAt unixSeconds: Int64)
        -> (username: String, password: String)
    {
        let username = "\(unixSeconds):\(sessionID)"
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(username.utf8), using: key)
        return (username, Data(mac).base64EncodedString())
    }
}
