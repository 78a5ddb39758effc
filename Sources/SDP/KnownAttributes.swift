/// Checks the values of the attributes this module gives typed access to, so that a malformed one is reported
/// with its line number at parse time instead of silently disappearing from a typed getter later.
/// Attributes not listed here are kept as written, unchecked.
enum KnownAttributes {
    static func validate(_ attribute: SDPAttribute) throws(SDPValueError) {
        switch attribute.name {
        case SDPFingerprint.attributeName: try check(SDPFingerprint.self, attribute)
        case SDPSetupRole.attributeName: try check(SDPSetupRole.self, attribute)
        case SDPRTPMap.attributeName: try check(SDPRTPMap.self, attribute)
        case SDPFormatParameters.attributeName: try check(SDPFormatParameters.self, attribute)
        case SDPRTCPFeedback.attributeName: try check(SDPRTCPFeedback.self, attribute)
        case SDPExtensionMap.attributeName: try check(SDPExtensionMap.self, attribute)
        case SDPSSRCAttribute.attributeName: try check(SDPSSRCAttribute.self, attribute)
        case SDPSSRCGroup.attributeName: try check(SDPSSRCGroup.self, attribute)
        case SDPRTCPAddress.attributeName: try check(SDPRTCPAddress.self, attribute)
        case SDPGroup.attributeName: try check(SDPGroup.self, attribute)
        case SDPMsidSemantic.attributeName: try check(SDPMsidSemantic.self, attribute)
        case SDPMsid.attributeName: try check(SDPMsid.self, attribute)
        case "mid":
            // RFC 5888 §4: identification-tag = token.
            guard SDPScalars.isToken(try value(of: attribute)) else { throw SDPValueError("mid must be a token") }
        case "ice-ufrag", "ice-pwd":
            // RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/".
            let text = try value(of: attribute)
            guard !text.isEmpty, text.unicodeScalars.allSatisfy(isICEChar) else {
                throw SDPValueError("only letters, digits, '+' and '/' are allowed")
            }
        case "ice-options":
            // RFC 8839 §5.6: ice-option-tag = 1*ice-char, separated by spaces.
            let words = SDPScalars.words(try value(of: attribute))
            guard !words.isEmpty, words.allSatisfy({ $0.unicodeScalars.allSatisfy(isICEChar) }) else {
                throw SDPValueError("expected space-separated option tags")
            }
        case "candidate":
            guard !(try value(of: attribute)).isEmpty else { throw SDPValueError("empty candidate") }
        case "sctp-port":
            let _: UInt16 = try SDPScalars.requireDecimal(try value(of: attribute), "port")
        case "max-message-size":
            let _: UInt64 = try SDPScalars.requireDecimal(try value(of: attribute), "size")
        default:
            break
        }
    }

    private static func check<T: SDPAttributeValue>(_ type: T.Type, _ attribute: SDPAttribute) throws(SDPValueError) {
        _ = try T(attributeValue: try value(of: attribute))
    }

    private static func value(of attribute: SDPAttribute) throws(SDPValueError) -> String {
        guard let value = attribute.value else { throw SDPValueError("a value is required") }
        return value
    }

    private static func isICEChar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "+", "/": true
        default: false
        }
    }
}
