package io.gatehouse.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads YAML (with SnakeYAML's node API) or JSON (with Jackson's streaming parser) into a
 * {@link YamlNode} tree that keeps 1-based line and column of every key and value.
 *
 * <p>JSON goes through Jackson rather than the YAML reader because YAML 1.1 rejects some valid
 * JSON (tab indentation). Syntax errors and duplicate keys are reported to the diagnostics.
 */
final class YamlParser {
    private static final int MAX_DEPTH = 64;
    /** Nodes after expanding aliases; stops "billion laughs" documents. */
    private static final int MAX_NODES = 200_000;

    private final String fileName;
    private final Diagnostics diagnostics;
    private final java.util.Set<Node> path = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private int nodes;
    private boolean tooLarge;

    YamlParser(String fileName, Diagnostics diagnostics) {
        this.fileName = fileName;
        this.diagnostics = diagnostics;
    }

    /** The document's root, or null when it is empty or does not parse (the reason is reported). */
    YamlNode parse(String text) {
        if (looksLikeJson(text)) {
            return parseJson(text);
        }
        return parseYaml(text);
    }

    private boolean looksLikeJson(String text) {
        if (fileName.toLowerCase(java.util.Locale.ROOT).endsWith(".json")) {
            return true;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c) && c != '\uFEFF') {
                return c == '{';
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- YAML

    private YamlNode parseYaml(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(50);
        options.setNestingDepthLimit(MAX_DEPTH);
        options.setAllowRecursiveKeys(false);
        options.setMergeOnCompose(true);
        options.setCodePointLimit(8 * 1024 * 1024);
        Node root;
        try {
            root = new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : "cannot read this YAML";
            int line = mark == null ? 0 : mark.getLine() + 1;
            int column = mark == null ? 0 : mark.getColumn() + 1;
            diagnostics.error(fileName, line, column, "invalid YAML: " + plainWords(problem));
            return null;
        } catch (YAMLException e) {
            diagnostics.error(fileName, 0, 0, "invalid YAML: " + e.getMessage());
            return null;
        }
        return root == null ? null : convert(root, 0);
    }

    /** SnakeYAML's parser terms, said the way a user thinks about their file. */
    static String plainWords(String problem) {
        if (problem.contains("<block end>") || problem.contains("<block mapping start>")) {
            return "this line is indented differently from the lines around it (" + problem + ")";
        }
        if (problem.contains("mapping values are not allowed here")) {
            return "unexpected ':' (put values that contain ': ' in quotes, or check the indentation)";
        }
        if (problem.contains("found character '\\t'") || problem.contains("\\t(TAB)")) {
            return "tabs cannot indent YAML; use spaces";
        }
        return problem;
    }

    private YamlNode convert(Node node, int depth) {
        if (depth > MAX_DEPTH || path.contains(node) || ++nodes > MAX_NODES) {
            if (!tooLarge) {
                tooLarge = true;
                diagnostics.add(position(node.getStartMark()).error(path.contains(node)
                        ? "an alias refers to a list or mapping that contains it"
                        : depth > MAX_DEPTH ? "nesting is too deep (at most " + MAX_DEPTH + " levels)"
                        : "the document is too large once its aliases are expanded"));
            }
            return new YamlNode.Scalar(null, false, false, position(node.getStartMark()), 0, 0);
        }
        path.add(node);
        try {
            return convertNode(node, depth);
        } finally {
            path.remove(node);
        }
    }

    private YamlNode convertNode(Node node, int depth) {
        return switch (node) {
            case ScalarNode s -> scalar(s);
            case SequenceNode s -> {
                List<YamlNode> items = new ArrayList<>();
                for (Node item : s.getValue()) {
                    items.add(convert(item, depth + 1));
                }
                yield new YamlNode.Sequence(items, position(s.getStartMark()));
            }
            case MappingNode m -> {
                List<YamlNode.Entry> entries = new ArrayList<>();
                Map<String, Position> seen = new HashMap<>();
                for (NodeTuple tuple : m.getValue()) {
                    if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                        diagnostics.add(position(tuple.getKeyNode().getStartMark())
                                .error("a key must be a plain name, not a list or mapping"));
                        continue;
                    }
                    YamlNode.Scalar key = scalar(keyNode);
                    String name = key.value() == null ? "" : key.value();
                    Position first = seen.putIfAbsent(name, key.position());
                    if (first != null) {
                        diagnostics.add(key.position().error("duplicate key '" + name + "' (first given at line "
                                + first.line() + ")"));
                        continue;
                    }
                    entries.add(new YamlNode.Entry(key, convert(tuple.getValueNode(), depth + 1)));
                }
                yield new YamlNode.Mapping(entries, position(m.getStartMark()));
            }
            default -> new YamlNode.Scalar(null, false, false, position(node.getStartMark()), 0, 0);
        };
    }

    private YamlNode.Scalar scalar(ScalarNode s) {
        boolean quoted = s.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN;
        boolean isNull = !quoted && Tag.NULL.equals(s.getTag());
        Mark start = s.getStartMark();
        Mark end = s.getEndMark();
        boolean singleLine = s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN && end != null
                && end.getLine() == start.getLine();
        return new YamlNode.Scalar(isNull ? null : s.getValue(), quoted, singleLine, position(start),
                end == null ? 0 : end.getLine() + 1, end == null ? 0 : end.getColumn() + 1);
    }

    private Position position(Mark mark) {
        return mark == null ? Position.unknown(fileName) : new Position(fileName, mark.getLine() + 1, mark.getColumn() + 1);
    }

    // ---------------------------------------------------------------- JSON

    private YamlNode parseJson(String text) {
        JsonFactory factory = JsonFactory.builder().build();
        try (JsonParser parser = factory.createParser(text)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                return null;
            }
            YamlNode root = readJson(parser, 0);
            if (parser.nextToken() != null) {
                diagnostics.add(jsonPosition(parser.currentTokenLocation()).error("invalid JSON: more than one value in the file"));
                return null;
            }
            return root;
        } catch (JsonParseException e) {
            JsonLocation loc = e.getLocation();
            diagnostics.add(jsonPosition(loc).error("invalid JSON: " + e.getOriginalMessage()));
            return null;
        } catch (IOException e) {
            diagnostics.error(fileName, 0, 0, "invalid JSON: " + e.getMessage());
            return null;
        }
    }

    private YamlNode readJson(JsonParser p, int depth) throws IOException {
        Position pos = jsonPosition(p.currentTokenLocation());
        if (depth > MAX_DEPTH) {
            throw new JsonParseException(p, "nesting is too deep (at most " + MAX_DEPTH + " levels)");
        }
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                List<YamlNode.Entry> entries = new ArrayList<>();
                Map<String, Position> seen = new HashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    Position keyPos = jsonPosition(p.currentTokenLocation());
                    String name = p.currentName();
                    YamlNode.Scalar key = new YamlNode.Scalar(name, true, false, keyPos, keyPos.line(), keyPos.column());
                    p.nextToken();
                    YamlNode value = readJson(p, depth + 1);
                    Position first = seen.putIfAbsent(name, keyPos);
                    if (first != null) {
                        diagnostics.add(keyPos.error("duplicate key '" + name + "' (first given at line " + first.line() + ")"));
                        continue;
                    }
                    entries.add(new YamlNode.Entry(key, value));
                }
                return new YamlNode.Mapping(entries, pos);
            }
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readJson(p, depth + 1));
                }
                return new YamlNode.Sequence(items, pos);
            }
            case VALUE_NULL -> {
                return new YamlNode.Scalar(null, false, false, pos, pos.line(), pos.column());
            }
            case VALUE_STRING -> {
                String v = p.getText();
                JsonLocation end = p.currentLocation();
                boolean sameLine = end != null && end.getLineNr() == pos.line();
                return new YamlNode.Scalar(v, true, false, pos, pos.line(),
                        sameLine ? end.getColumnNr() : pos.column() + v.length() + 2);
            }
            default -> {
                String v = p.getText();
                return new YamlNode.Scalar(v, false, true, pos, pos.line(), pos.column() + v.length());
            }
        }
    }

    private Position jsonPosition(JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 1) {
            return Position.unknown(fileName);
        }
        return new Position(fileName, loc.getLineNr(), Math.max(loc.getColumnNr(), 0));
    }
}
