/// A section that carries an ordered list of `a=` lines: the session level or one media section (RFC 8866 §5.13).
/// Generic access by name lives here; typed accessors are in the extensions next to each attribute type.
public protocol SDPAttributeHolder {
    var attributes: [SDPAttribute] { get set }
}

extension SDPAttributeHolder {
    /// Values of every attribute with this name, in order (a flag contributes an empty string).
    public func values(named name: String) -> [String] {
        attributes.filter { $0.name == name }.map { $0.value ?? "" }
    }

    /// The value of the first attribute with this name (a flag gives an empty string), or nil when absent.
    public func firstValue(named name: String) -> String? {
        attributes.first { $0.name == name }.map { $0.value ?? "" }
    }

    /// Whether an attribute with this name is present.
    public func hasAttribute(named name: String) -> Bool {
        attributes.contains { $0.name == name }
    }

    public mutating func append(_ attribute: SDPAttribute) {
        attributes.append(attribute)
    }

    public mutating func removeAttributes(named name: String) {
        attributes.removeAll { $0.name == name }
    }

    /// Replaces every attribute named `name` with `replacements`, placed where the first one stood
    /// (or at the end when there was none), so regenerated descriptions keep a stable line order.
    public mutating func replaceAttributes(named name: String, with replacements: [SDPAttribute]) {
        let position = attributes.firstIndex { $0.name == name } ?? attributes.endIndex
        let before = attributes[..<position].filter { $0.name != name }
        let after = attributes[position...].filter { $0.name != name }
        attributes = before + replacements + after
    }

    /// Sets or clears a property attribute such as `a=rtcp-mux` (RFC 8866 §5.13 flag form).
    public mutating func setFlag(_ name: String, _ present: Bool) {
        replaceAttributes(named: name, with: present ? [SDPAttribute(name)] : [])
    }

    /// Replaces the single value attribute `name` (nil removes it).
    public mutating func setValue(_ value: String?, named name: String) {
        replaceAttributes(named: name, with: value.map { [SDPAttribute(name, $0)] } ?? [])
    }

    /// Every attribute of type `T` that parses, in order. Parsing a description already refused
    /// malformed ones with a line number; entries added by hand that do not parse are left out here.
    public func typedValues<T: SDPAttributeValue>(_ type: T.Type) -> [T] {
        attributes.compactMap { attribute -> T? in
            guard attribute.name == T.attributeName, let value = attribute.value else { return nil }
            return try? T(attributeValue: value)
        }
    }

    /// Replaces every attribute of type `T` with `values`, at the position of the first one.
    public mutating func setTypedValues<T: SDPAttributeValue>(_ values: [T]) {
        replaceAttributes(named: T.attributeName, with: values.map(\.attribute))
    }

    /// Appends one typed attribute at the end of the section.
    public mutating func append(_ value: some SDPAttributeValue) {
        attributes.append(value.attribute)
    }
}
