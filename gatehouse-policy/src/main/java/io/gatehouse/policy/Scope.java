package io.gatehouse.policy;

/** Where a policy document is attached, outermost first; an inner scope's section replaces the outer one's. */
public enum Scope {
    GLOBAL("global"), PRODUCT("product"), API("api"), OPERATION("operation");

    private final String label;

    Scope(String label) {
        this.label = label;
    }

    /** The name APIM shows in {@code context.LastError.Scope}. */
    public String label() {
        return label;
    }
}
