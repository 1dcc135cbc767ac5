package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import java.nio.file.Path;

/** A policy document: a file, or XML inline in the config ({@code policyXml: |}). */
public record PolicyRef(Path file, String inlineXml, Position position) {
}
