package io.averon.jobs;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One {@code averon} invocation run in-process, with its exit status and what it printed. */
record Invocation(int status, String out, String err) {

    static Invocation of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Averon.run(args, o, e);
        }
        Invocation result = new Invocation(status, out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
        System.out.print(result.out);
        System.err.print(result.err);
        return result;
    }
}
