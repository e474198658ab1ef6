package io.averon.driver;

import io.averon.worker.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingReportTest {
    @TempDir
    Path tmp;

    private static final String START = "{\"event\":\"start\",\"workers\":2,\"train_examples\":640,\"test_examples\":200,"
            + "\"batch_size\":32,\"epochs\":3,\"model\":\"fp\",\"master\":\"local[2]\",\"class_names\":[\"a\",\"b<i>\",\"c\"]}";

    private static String epoch(int n, String trainLoss, double accuracy) {
        return "{\"event\":\"epoch\",\"epoch\":" + n + ",\"steps\":10,\"examples\":640,\"seconds\":2.0,"
                + "\"images_per_second\":320.0,\"train_loss\":" + trainLoss + ",\"test_loss\":0.6,\"test_accuracy\":"
                + accuracy + ",\"confusion\":[[5,1,0],[2,6,0],[0,0,9]],\"batches_ready\":18,"
                + "\"workers\":[{\"worker\":0,\"steps\":10,\"compute_s\":1.5,\"wait_s\":0.2},"
                + "{\"worker\":1,\"steps\":10,\"compute_s\":1.4,\"wait_s\":0.3}],\"checkpoint\":\"file:/x\"}";
    }

    private static int count(String html, String regex) {
        Matcher m = Pattern.compile(regex).matcher(html);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void drawsEveryEpochsFiguresTheHeatMapAndTheConfigurationEscaped() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        // A train loss of NaN (no worker reported a step) is left out of its line, not drawn at zero.
        Files.writeString(run.resolve("metrics.jsonl"), String.join("\n", START, epoch(1, "0.9", 0.7),
                epoch(2, "\"NaN\"", 0.75), "{\"event\":\"catch_up\",\"epoch\":2,\"round\":1,\"examples\":64,"
                        + "\"batches\":2,\"workers\":2,\"step\":20}", epoch(3, "0.5", 0.8), "{\"event\":\"end\"") + "\n");
        Files.writeString(run.resolve("job.conf"), "model { name = \"</pre><script>alert(1)</script>\" }\n");
        FileSystem fs = FileSystem.getLocal(new Configuration());
        String location = TrainingReport.write(fs, new org.apache.hadoop.fs.Path(run.toString()));
        assertTrue(location.endsWith("/run/report.html"), location);

        String html = Files.readString(run.resolve("report.html"));
        assertEquals(9, count(html, "<rect class=\"cell\""), "3 x 3 confusion cells");
        assertTrue(html.contains("data-value=\"9\""));
        // loss: 2 train points (NaN left out) + 3 test; accuracy 3; images/s 3; step time 3; input ready 3.
        assertEquals(2 + 3 + 3 + 3 + 3 + 3, count(html, "<circle class=\"point\""));
        assertEquals(4, count(html, "<rect class=\"bar\""), "compute and wait of two workers");
        assertTrue(html.contains("b&lt;i&gt;"), "class names are escaped");
        assertFalse(html.contains("<script>alert"), "the configuration is text, never markup");
        assertTrue(html.contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assertTrue(html.contains("Catch-up rounds"));
        assertTrue(html.contains("In progress"), "the cut-off last line (a killed driver) is ignored");
        assertFalse(html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"),
                "nothing is loaded from the network");
        assertEquals(0, count(html, "src=\"http|href=\"http"));
    }

    @Test
    void aDamagedLineOrAMissingRunIsNamed() throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        InputException missing = assertThrows(InputException.class,
                () -> TrainingReport.write(fs, new org.apache.hadoop.fs.Path(tmp.resolve("nothing").toString())));
        assertTrue(missing.getMessage().contains("metrics.jsonl does not exist"), missing.getMessage());

        Path run = Files.createDirectories(tmp.resolve("damaged"));
        Files.writeString(run.resolve("metrics.jsonl"), START + "\n{oops\n" + epoch(1, "0.9", 0.7) + "\n");
        InputException bad = assertThrows(InputException.class,
                () -> TrainingReport.write(fs, new org.apache.hadoop.fs.Path(run.toString())));
        assertTrue(bad.getMessage().contains("metrics.jsonl line 2 is not JSON"), bad.getMessage());
        assertFalse(Files.exists(run.resolve("report.html")));
    }
}
