package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import java.nio.file.Path;

/** A policy fragment document, included with {@code <include-fragment fragment-id="..."/>}. */
public record FragmentConfig(String id, Path file, Position position) {
}
