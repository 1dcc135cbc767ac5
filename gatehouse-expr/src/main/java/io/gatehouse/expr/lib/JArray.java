package io.gatehouse.expr.lib;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

/** A JSON array; its items' parent is the array (a token that has a parent elsewhere is copied in). */
public final class JArray extends JToken {
    private final List<JToken> items = new Items();

    /** The items, live: adding or setting through this list copies a token that has a parent, removing one detaches it. */
    private final class Items extends AbstractList<JToken> {
        private final ArrayList<JToken> list = new ArrayList<>();

        @Override
        public JToken get(int index) {
            return list.get(index);
        }

        @Override
        public int size() {
            return list.size();
        }

        @Override
        public void add(int index, JToken t) {
            list.add(index, adopt(JArray.this, t));
            modCount++;
        }

        @Override
        public JToken set(int index, JToken t) {
            JToken old = list.get(index);
            if (old == t) {
                return old;
            }
            list.set(index, adopt(JArray.this, t));
            old.parent = null;
            return old;
        }

        @Override
        public JToken remove(int index) {
            JToken old = list.remove(index);
            old.parent = null;
            modCount++;
            return old;
        }
    }

    public List<JToken> items() {
        return items;
    }

    @Override
    public Type type() {
        return Type.Array;
    }

    @Override
    public List<JToken> children() {
        return items;
    }

    @Override
    public JToken get(Object key) {
        if (key instanceof Integer i) {
            if (i < 0 || i >= items.size()) {
                throw new IndexOutOfBoundsException(
                        "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            return items.get(i);
        }
        return super.get(key);
    }

    @Override
    public void set(Object key, JToken value) {
        if (key instanceof Integer i) {
            if (i < 0 || i >= items.size()) {
                throw new IndexOutOfBoundsException(
                        "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            items.set(i, JToken.from(value));
            return;
        }
        super.set(key, value);
    }

    public void add(Object value) {
        items.add(JToken.from(value));
    }

    /** Inserts content at a position: one token or value, or each item of a collection, as JContainer.AddInternal. */
    public void insert(int index, Object content) {
        int at = index;
        for (Object c : contentItems(content)) {
            items.add(at++, JToken.from(c));
        }
    }

    /** Newtonsoft's {@code Merge} with the default MergeArrayHandling.Concat: the content's items are appended (copied). */
    public void merge(JArray content) {
        for (JToken t : new ArrayList<>(content.items())) {
            items.add(t);
        }
    }

    public int count() {
        return items.size();
    }

    @Override
    public JToken deepClone() {
        JArray a = new JArray();
        items.forEach(t -> a.items.add(t.deepClone()));
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JArray j && j.items.equals(items);
    }

    @Override
    public int hashCode() {
        return items.hashCode();
    }
}
