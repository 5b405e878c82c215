import Foundation
import RinglogSupport

/// RingCentral's public OpenAPI spec (`../shared/reference/ringcentral-openapi.yml`), loaded once and
/// used to validate what the simulator emits. YAML is converted to JSON by python3 (PyYAML); the
/// conversion is cached beside the build products.
public final class OpenAPISpec: Sendable {
    public let document: JSON
    public let schemas: JSONObject

    public static let shared: Result<OpenAPISpec, SpecError> = Result { () throws(SpecError) -> OpenAPISpec in try OpenAPISpec.load() }

    public struct SpecError: Error, CustomStringConvertible { public let description: String }

    public static var referenceDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["RINGLOG_SHARED"] {
            return URL(fileURLWithPath: override).appendingPathComponent("reference")
        }
        // Tests/RinglogTestSupport/SchemaValidation.swift → repository root → ../shared/reference
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/reference")
    }

    private init(document: JSON) throws(SpecError) {
        self.document = document
        guard let schemas = document["components"]?["schemas"]?.objectValue else { throw SpecError(description: "spec has no components.schemas") }
        self.schemas = schemas
    }

    private static func load() throws(SpecError) -> OpenAPISpec {
        let yaml = referenceDirectory.appendingPathComponent("ringcentral-openapi.yml")
        guard FileManager.default.fileExists(atPath: yaml.path) else {
            throw SpecError(description: "RingCentral's spec is missing at \(yaml.path) (set RINGLOG_SHARED to the shared/ folder)")
        }
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("ringlog-openapi-\(getuid()).json")
        let yamlDate = (try? FileManager.default.attributesOfItem(atPath: yaml.path)[.modificationDate] as? Date) ?? Date()
        let cacheDate = (try? FileManager.default.attributesOfItem(atPath: cache.path)[.modificationDate] as? Date) ?? .distantPast
        if cacheDate < yamlDate {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            let script = """
                import json, sys, yaml
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                with open(sys.argv[1]) as f: doc = yaml.load(f, Loader=loader)
                with open(sys.argv[2] + ".tmp", "w") as f: json.dump(doc, f, default=str)
                import os; os.replace(sys.argv[2] + ".tmp", sys.argv[2])
                """
            process.arguments = ["python3", "-c", script, yaml.path, cache.path]
            do { try process.run() } catch { throw SpecError(description: "cannot run python3 to read the YAML spec: \(error)") }
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw SpecError(description: "python3 could not convert the spec (is python3-yaml installed? `make test` installs it)")
            }
        }
        guard let data = FileManager.default.contents(atPath: cache.path) else { throw SpecError(description: "no converted spec at \(cache.path)") }
        do {
            return try OpenAPISpec(document: try JSON.parse([UInt8](data)))
        } catch let error as SpecError {
            throw error
        } catch {
            throw SpecError(description: "converted spec is not JSON: \(error)")
        }
    }

    /// The 2xx (or given status) JSON schema of an operation.
    public func responseSchema(path: String, method: String = "get", status: String = "200") -> JSON? {
        var response = document["paths"]?[path]?[method]?["responses"]?[status]
        if let ref = response?["$ref"]?.stringValue { response = resolve(ref) }
        return response?["content"]?["application/json"]?["schema"]
    }

    public func resolve(_ ref: String) -> JSON? { resolvePointer(ref, in: document) }
}

/// The repository's root directory (found from this file's path).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Resolves a local JSON pointer reference (`#/components/schemas/X`, `#/$defs/Y`).
func resolvePointer(_ ref: String, in document: JSON) -> JSON? {
    guard ref.hasPrefix("#/") else { return nil }
    var node: JSON? = document
    for part in ref.dropFirst(2).split(separator: "/") {
        node = node?[String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
    }
    return node
}

/// A validator for the JSON Schema keywords this project's schemas and RingCentral's OpenAPI spec
/// use: $ref, allOf, oneOf, anyOf, not, type (one or several), const, enum, pattern, format
/// (date-time, int32), minimum, minItems, maxItems, required, properties, additionalProperties,
/// items, and OpenAPI's nullable. In strict mode a property that no schema branch defines is an
/// error, even where additionalProperties allows it: the simulator must not invent fields.
public struct SchemaValidator {
    let document: JSON
    public var strict: Bool
    /// Fields RingCentral really sends that its schemas do not list, with the evidence.
    public var tolerated: Set<String> = []

    public init(document: JSON, strict: Bool = false) {
        self.document = document
        self.strict = strict
    }

    public init(spec: OpenAPISpec) { self.init(document: spec.document, strict: true) }

    public func validate(_ value: JSON, _ schema: JSON, at path: String = "$") -> [String] {
        var errors: [String] = []
        check(value, schema, path, &errors)
        return errors
    }

    private func resolved(_ schema: JSON) -> JSON {
        var current = schema
        while let ref = current["$ref"]?.stringValue, let target = resolvePointer(ref, in: document) { current = target }
        return current
    }

    /// Every property name the schema (through allOf/oneOf/anyOf) defines.
    private func propertyNames(_ schema: JSON) -> Set<String> {
        let schema = resolved(schema)
        var names = Set(schema["properties"]?.objectValue?.keys ?? [])
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema[key]?.arrayValue ?? [] { names.formUnion(propertyNames(part)) }
        }
        return names
    }

    private func matches(_ value: JSON, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("array", .array), ("object", .object), ("null", .null), ("number", .number): true
        case ("integer", .number(let literal)): Int64(literal) != nil
        default: false
        }
    }

    private func check(_ value: JSON, _ rawSchema: JSON, _ path: String, _ errors: inout [String], strictHere: Bool = true) {
        let schema = resolved(rawSchema)
        if value == .null && schema["nullable"]?.boolValue == true { return }
        // allOf branches are checked without strictness: each lists only part of the object's fields.
        for part in schema["allOf"]?.arrayValue ?? [] { check(value, part, path, &errors, strictHere: false) }
        if let options = schema["anyOf"]?.arrayValue, !options.isEmpty, !options.contains(where: { validate(value, $0, at: path).isEmpty }) {
            errors.append("\(path): matches none of anyOf")
        }
        if let options = schema["oneOf"]?.arrayValue, !options.isEmpty {
            let count = options.filter { validate(value, $0, at: path).isEmpty }.count
            if count != 1 { errors.append("\(path): matches \(count) of oneOf, expected exactly 1") }
        }
        if let negated = schema["not"], validate(value, negated, at: path).isEmpty { errors.append("\(path): matches a forbidden schema") }
        if let type = schema["type"] {
            let types = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            if !types.contains(where: { matches(value, type: $0) }) {
                errors.append("\(path): expected \(types.joined(separator: " or ")), got \(value.serialized().prefix(80))")
                return
            }
        }
        if let constant = schema["const"], constant != value { errors.append("\(path): expected \(constant.serialized())") }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            errors.append("\(path): \(value.serialized()) is not one of the enum values")
        }
        if case .string(let text) = value {
            if schema["format"]?.stringValue == "date-time", Timestamp(iso8601: text) == nil { errors.append("\(path): \(text) is not a date-time") }
            if let pattern = schema["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil {
                errors.append("\(path): \(text.debugDescription) does not match \(pattern)")
            }
        }
        if case .number(let literal) = value {
            if schema["format"]?.stringValue == "int32", Int32(literal) == nil { errors.append("\(path): \(literal) does not fit int32") }
            if let minimum = schema["minimum"]?.doubleValue, let number = Double(literal), number < minimum {
                errors.append("\(path): \(literal) is below \(minimum)")
            }
        }
        if case .array(let elements) = value {
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() { check(element, items, "\(path)[\(index)]", &errors) }
            }
            if let minimum = schema["minItems"]?.int64Value, elements.count < minimum { errors.append("\(path): fewer than \(minimum) items") }
            if let maximum = schema["maxItems"]?.int64Value, elements.count > maximum { errors.append("\(path): more than \(maximum) items") }
        }
        guard case .object(let object) = value else { return }
        for required in schema["required"]?.arrayValue ?? [] {
            if let name = required.stringValue, object[name] == nil { errors.append("\(path): required field \(name) is missing") }
        }
        let properties = schema["properties"]?.objectValue ?? JSONObject()
        for member in object.members {
            if let propertySchema = properties[member.key] {
                check(member.value, propertySchema, "\(path).\(member.key)", &errors)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) { errors.append("\(path): field \(member.key) is not allowed") }
                else if additional.objectValue != nil { check(member.value, additional, "\(path).\(member.key)", &errors) }
            }
        }
        // Strictness is judged once per object, at the level that sees every allOf branch.
        if strict, strictHere, schema["properties"] != nil || schema["allOf"] != nil {
            let known = propertyNames(rawSchema)
            if !known.isEmpty {
                for key in object.keys where !known.contains(key) && !tolerated.contains(key) {
                    errors.append("\(path): field \(key) is not in the spec")
                }
            }
        }
    }
}
