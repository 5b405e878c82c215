import Foundation
import RinglogSupport

/// RingCentral's public OpenAPI spec (`../shared/reference/ringcentral-openapi.yml`), loaded once and
/// used to validate what the simulator emits. YAML is converted to JSON by python3 (PyYAML); the
/// conversion is cached beside the build products.
final class OpenAPISpec: Sendable {
    let document: JSON
    let schemas: JSONObject

    static let shared: Result<OpenAPISpec, SpecError> = Result { () throws(SpecError) -> OpenAPISpec in try OpenAPISpec.load() }

    struct SpecError: Error, CustomStringConvertible { let description: String }

    static var referenceDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["RINGLOG_SHARED"] {
            return URL(fileURLWithPath: override).appendingPathComponent("reference")
        }
        // Tests/SimulatorTests/OpenAPISchema.swift → repository root → ../shared/reference
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
    func responseSchema(path: String, method: String = "get", status: String = "200") -> JSON? {
        var response = document["paths"]?[path]?[method]?["responses"]?[status]
        if let ref = response?["$ref"]?.stringValue { response = resolve(ref) }
        return response?["content"]?["application/json"]?["schema"]
    }

    func resolve(_ ref: String) -> JSON? {
        var node: JSON? = document
        for part in ref.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }
}

/// A JSON-Schema (OpenAPI 3.0 dialect) validator for the parts the spec uses: $ref, allOf, oneOf,
/// anyOf, type, format (int32/int64/date-time), enum, required, properties, items. In strict mode a
/// property the schema does not define is an error too: the simulator must not invent fields.
struct SchemaValidator {
    let spec: OpenAPISpec
    var strict = true
    /// Fields RingCentral really sends that its schemas do not list, with the evidence.
    var tolerated: Set<String> = []

    func validate(_ value: JSON, _ schema: JSON, at path: String = "$") -> [String] {
        var errors: [String] = []
        check(value, schema, path, &errors)
        return errors
    }

    private func resolved(_ schema: JSON) -> JSON {
        var current = schema
        while let ref = current["$ref"]?.stringValue, let target = spec.resolve(ref) { current = target }
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

    private func check(_ value: JSON, _ rawSchema: JSON, _ path: String, _ errors: inout [String], strictHere: Bool = true) {
        let schema = resolved(rawSchema)
        if value == .null && schema["nullable"]?.boolValue == true { return }
        // allOf branches are checked without strictness: each lists only part of the object's fields.
        for part in schema["allOf"]?.arrayValue ?? [] { check(value, part, path, &errors, strictHere: false) }
        for key in ["oneOf", "anyOf"] {
            if let options = schema[key]?.arrayValue, !options.isEmpty {
                let matches = options.filter { validate(value, $0, at: path).isEmpty }
                if matches.isEmpty { errors.append("\(path): matches none of \(key)") }
            }
        }
        if let type = schema["type"]?.stringValue {
            let ok: Bool
            switch (type, value) {
            case ("string", .string), ("boolean", .bool), ("array", .array), ("object", .object): ok = true
            case ("number", .number): ok = true
            case ("integer", .number(let literal)): ok = Int64(literal) != nil
            default: ok = false
            }
            if !ok { errors.append("\(path): expected \(type), got \(value.serialized())"); return }
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            errors.append("\(path): \(value.serialized()) is not one of the spec's enum values")
        }
        if case .string(let text) = value, schema["format"]?.stringValue == "date-time", Timestamp(iso8601: text) == nil {
            errors.append("\(path): \(text) is not a date-time")
        }
        if case .number(let literal) = value, schema["format"]?.stringValue == "int32", Int32(literal) == nil {
            errors.append("\(path): \(literal) does not fit int32")
        }
        if let items = schema["items"], case .array(let elements) = value {
            for (index, element) in elements.enumerated() { check(element, items, "\(path)[\(index)]", &errors) }
        }
        guard case .object(let object) = value else { return }
        for required in schema["required"]?.arrayValue ?? [] {
            if let name = required.stringValue, object[name] == nil { errors.append("\(path): required field \(name) is missing") }
        }
        let properties = schema["properties"]?.objectValue ?? JSONObject()
        for member in object.members {
            if let propertySchema = properties[member.key] { check(member.value, propertySchema, "\(path).\(member.key)", &errors) }
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
