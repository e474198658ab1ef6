package io.averon.worker;

import java.io.IOException;

/**
 * The first {@code limit} examples of another source: quick runs and tests on a subset of a real dataset without
 * copying it.
 */
public final class FirstExamples implements ExampleSource {
    private static final long serialVersionUID = 1L;

    private final ExampleSource source;
    private final int limit;

    public FirstExamples(ExampleSource source, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        this.source = source;
        this.limit = limit;
    }

    @Override
    public String name() {
        return source.name() + " (first " + limit + ")";
    }

    @Override
    public int size() throws IOException {
        return Math.min(limit, source.size());
    }

    @Override
    public Examples load() throws IOException {
        return source.load().head(limit);
    }
}
