package io.gatehouse.policy.spi;

import io.gatehouse.policy.Section;
import io.gatehouse.policy.xml.XmlElement;

import java.util.EnumSet;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A policy element Gatehouse implements: its name, the sections it may appear in, and how to
 * compile one occurrence. Each policy class exposes one as {@code TYPE}; adding a policy is one new
 * class plus one line in {@link PolicyRegistry#builtIn()}.
 *
 * @param name the element name, e.g. {@code set-header}
 * @param sections where APIM allows it
 * @param compiler reads one element (reporting problems to the context) and returns the compiled
 *     policy, or null when it had errors
 */
public record PolicyType(String name, Set<Section> sections, Compiler compiler) {
    @FunctionalInterface
    public interface Compiler {
        Policy compile(XmlElement element, CompileContext context);
    }

    public static final Set<Section> ALL = EnumSet.allOf(Section.class);

    public PolicyType {
        requireNonNull(name, "name");
        sections = Set.copyOf(sections);
        requireNonNull(compiler, "compiler");
    }
}
