package io.averon.jobs.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.averon.worker.InputException;
import io.averon.worker.data.BadImages;
import io.averon.worker.data.DataShape;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The description of a prepared dataset, the output of {@code averon prepare}: a directory holding
 * {@value #FILE}, {@value #LABELS_FILE} and shard files {@code shard-00000.bin}, {@code shard-00001.bin}, ...
 *
 * <p>Layout, format version {@value #FORMAT_VERSION}. Every number is <b>big-endian</b> (Java's
 * {@code DataOutputStream} order, as in IDX files). A shard is a sequence of fixed-size records with no header:
 * an int32 label (-1 for segmentation examples), then the image's {@code channels x height x width} unsigned bytes in
 * planar CHW order, then for segmentation datasets the {@code height x width} mask bytes (class ids, 255 = ignore);
 * see {@link #recordBytes(DataShape)}. Examples are numbered shard by shard in the order the manifest lists the
 * shards. {@value #LABELS_FILE} repeats the int32 labels of all examples in that order, so planning reads one small
 * file instead of every shard. {@value #FILE} is UTF-8 JSON:
 *
 * <pre>{@code
 * {"format": "averon-prepared", "version": 1, "byteOrder": "big-endian", "recordBytes": 3076,
 *  "shape": {"channels": 3, "height": 32, "width": 32}, "segmentation": false,
 *  "classNames": ["airplane", ...], "count": 50000, "classCounts": [5000, ...],
 *  "mean": [0.4914, 0.4822, 0.4465], "std": [0.247, 0.2435, 0.2616],
 *  "labelsFile": "labels.bin", "shards": [{"file": "shard-00000.bin", "records": 12500}, ...],
 *  "source": "hdfs://nn/data/cifar-10-batches-bin", "badImages": {"skipped": 0, "examples": []}}
 * }</pre>
 *
 * Class counts are images per class, or for segmentation mask pixels per class (ignored pixels left out). Mean and
 * standard deviation are per channel over all stored samples scaled to [0, 1] (population deviation). The manifest
 * is written last, through a temporary name, so its presence marks a complete dataset.
 *
 * @param shape            stored image shape, class names and segmentation flag
 * @param count            examples in all shards
 * @param classCounts      per class, see above
 * @param mean             per channel, over samples in [0, 1]
 * @param std              per channel, over samples in [0, 1]
 * @param shards           the shard files in example order
 * @param source           what the dataset was prepared from (a path or URI)
 * @param badImagesSkipped bad images of the source left out
 * @param badImageExamples the first few of them, described
 */
public record PreparedManifest(DataShape shape, long count, List<Long> classCounts, List<Float> mean, List<Float> std,
                               List<Shard> shards, String source, long badImagesSkipped,
                               List<String> badImageExamples) {

    public static final int FORMAT_VERSION = 1;
    public static final String FILE = "manifest.json";
    public static final String LABELS_FILE = "labels.bin";
    private static final String FORMAT = "averon-prepared";
    private static final String BYTE_ORDER = "big-endian";

    /**
     * One shard file.
     *
     * @param file    its name inside the prepared directory
     * @param records records it holds
     */
    public record Shard(String file, int records) {
        public Shard {
            Objects.requireNonNull(file, "file");
            if (records < 0) {
                throw new IllegalArgumentException("shard " + file + " cannot hold " + records + " records");
            }
        }
    }

    public PreparedManifest {
        Objects.requireNonNull(shape, "shape");
        classCounts = List.copyOf(classCounts);
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        shards = List.copyOf(shards);
        source = Objects.requireNonNull(source, "source");
        badImageExamples = List.copyOf(badImageExamples);
        if (classCounts.size() != shape.classes()) {
            throw new IllegalArgumentException(shape.classes() + " classes but " + classCounts.size()
                    + " class counts");
        }
        if (mean.size() != shape.channels() || std.size() != shape.channels()) {
            throw new IllegalArgumentException(shape.channels() + " channels but " + mean.size() + " means and "
                    + std.size() + " deviations");
        }
        long records = 0;
        for (Shard shard : shards) {
            records += shard.records();
        }
        if (records != count) {
            throw new IllegalArgumentException("shards hold " + records + " records but count is " + count);
        }
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(count + " examples are more than one dataset can number");
        }
    }

    /** Bytes of one shard record of {@code shape}: 4 + c*h*w, plus h*w for segmentation. */
    public static int recordBytes(DataShape shape) {
        long bytes = 4L + shape.imageLength() + (shape.segmentation() ? (long) shape.height() * shape.width() : 0);
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a record of " + shape + " would exceed 2 GiB");
        }
        return (int) bytes;
    }

    public int recordBytes() {
        return recordBytes(shape);
    }

    /**
     * Combines the summaries of all shards (in any order; they are sorted by shard index) into the manifest.
     *
     * @param source what the dataset was prepared from, recorded for the operator
     */
    public static PreparedManifest merge(DataShape shape, String source, List<PreparedShard> shards) {
        List<PreparedShard> ordered = sorted(shards);
        long[] classCounts = new long[shape.classes()];
        ChannelMoments moments = new ChannelMoments(shape.channels());
        List<Shard> files = new ArrayList<>();
        BadImages bad = new BadImages();
        long count = 0;
        for (PreparedShard shard : ordered) {
            if (shard.classCounts().length != classCounts.length) {
                throw new IllegalArgumentException(shard.file() + " counts " + shard.classCounts().length
                        + " classes, the dataset has " + classCounts.length);
            }
            for (int c = 0; c < classCounts.length; c++) {
                classCounts[c] += shard.classCounts()[c];
            }
            moments.merge(shard.moments());
            files.add(new Shard(shard.file(), shard.records()));
            count += shard.records();
            for (String example : shard.skippedExamples()) {
                bad.record(example);
            }
        }
        long skipped = 0;
        for (PreparedShard shard : ordered) {
            skipped += shard.skipped();
        }
        List<Long> counts = new ArrayList<>();
        for (long c : classCounts) {
            counts.add(c);
        }
        List<Float> mean = new ArrayList<>();
        List<Float> std = new ArrayList<>();
        for (int c = 0; c < shape.channels(); c++) {
            mean.add(moments.mean(c));
            std.add(moments.std(c));
        }
        return new PreparedManifest(shape, count, counts, mean, std, files, source, skipped, bad.first());
    }

    /**
     * Finishes a prepared dataset in {@code dir} after all its shards are written: writes {@value #LABELS_FILE},
     * then {@value #FILE} last, each through a temporary name, replacing earlier ones.
     *
     * @return the manifest written
     */
    public static PreparedManifest commit(FileSystem fs, Path dir, DataShape shape, String source,
                                          List<PreparedShard> shards) throws IOException {
        PreparedManifest manifest = merge(shape, source, shards);
        Path labels = temporary(dir, LABELS_FILE);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(fs.create(labels, false),
                1 << 16))) {
            for (PreparedShard shard : sorted(shards)) {
                for (int label : shard.labels()) {
                    out.writeInt(label);
                }
            }
        }
        replace(fs, labels, new Path(dir, LABELS_FILE));
        manifest.write(fs, dir);
        return manifest;
    }

    /** Writes {@value #FILE} into {@code dir} through a temporary name, replacing an earlier one. */
    public void write(FileSystem fs, Path dir) throws IOException {
        Path temporary = temporary(dir, FILE);
        try (OutputStream out = fs.create(temporary, false)) {
            out.write(toJson().getBytes(StandardCharsets.UTF_8));
        }
        replace(fs, temporary, new Path(dir, FILE));
    }

    /**
     * Reads {@value #FILE} of the prepared dataset {@code dir}.
     *
     * @param dirUri how the user named the directory, for messages
     * @throws InputException when the manifest or the directory is missing or the manifest is malformed
     */
    public static PreparedManifest read(FileSystem fs, Path dir, String dirUri) throws IOException {
        String name = child(dirUri, FILE);
        byte[] bytes;
        try (InputStream in = fs.open(new Path(dir, FILE))) {
            bytes = in.readAllBytes();
        } catch (FileNotFoundException e) {
            if (!fs.exists(dir)) {
                throw new InputException(dirUri + ": prepared dataset directory not found", e);
            }
            throw new InputException(name + ": not found; " + dirUri + " is not a finished `averon prepare` output"
                    + " (the manifest is written last)", e);
        }
        return parse(new String(bytes, StandardCharsets.UTF_8), name);
    }

    /** The manifest as the JSON document described in the class comment. */
    public String toJson() {
        ObjectMapper json = mapper();
        ObjectNode root = json.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", FORMAT_VERSION);
        root.put("byteOrder", BYTE_ORDER);
        root.put("recordBytes", recordBytes());
        ObjectNode dims = root.putObject("shape");
        dims.put("channels", shape.channels());
        dims.put("height", shape.height());
        dims.put("width", shape.width());
        root.put("segmentation", shape.segmentation());
        ArrayNode names = root.putArray("classNames");
        shape.classNames().forEach(names::add);
        root.put("count", count);
        ArrayNode counts = root.putArray("classCounts");
        classCounts.forEach(counts::add);
        ArrayNode means = root.putArray("mean");
        mean.forEach(means::add);
        ArrayNode stds = root.putArray("std");
        std.forEach(stds::add);
        root.put("labelsFile", LABELS_FILE);
        ArrayNode files = root.putArray("shards");
        for (Shard shard : shards) {
            ObjectNode entry = files.addObject();
            entry.put("file", shard.file());
            entry.put("records", shard.records());
        }
        root.put("source", source);
        ObjectNode bad = root.putObject("badImages");
        bad.put("skipped", badImagesSkipped);
        ArrayNode examples = bad.putArray("examples");
        badImageExamples.forEach(examples::add);
        try {
            return json.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON tree: " + e.getMessage(), e);
        }
    }

    /**
     * Parses a manifest's JSON.
     *
     * @param name the manifest's location, for messages
     * @throws InputException when it is not JSON or not a manifest this version of Averon reads
     */
    public static PreparedManifest parse(String text, String name) {
        JsonNode root;
        try {
            root = mapper().readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new InputException(name + ": malformed manifest, not valid JSON" + where + ": "
                    + e.getOriginalMessage(), e);
        }
        Fields f = new Fields(name);
        if (root == null || !root.isObject()) {
            throw f.malformed("expected a JSON object");
        }
        String format = f.text(root, "format");
        if (!FORMAT.equals(format)) {
            throw f.malformed("format is '" + format + "', expected '" + FORMAT + "'");
        }
        long version = f.integer(root, "version");
        if (version != FORMAT_VERSION) {
            throw new InputException(name + ": prepared format version " + version + ", this Averon reads version "
                    + FORMAT_VERSION + "; prepare the dataset again");
        }
        String order = f.text(root, "byteOrder");
        if (!BYTE_ORDER.equals(order)) {
            throw f.malformed("byteOrder is '" + order + "', expected '" + BYTE_ORDER + "'");
        }
        JsonNode dims = f.object(root, "shape");
        List<String> classNames = new ArrayList<>();
        for (JsonNode n : f.array(root, "classNames")) {
            if (!n.isTextual()) {
                throw f.malformed("classNames must be strings");
            }
            classNames.add(n.asText());
        }
        DataShape shape;
        try {
            shape = new DataShape(f.intValue(dims, "shape.channels", "channels"),
                    f.intValue(dims, "shape.height", "height"), f.intValue(dims, "shape.width", "width"), classNames,
                    f.bool(root, "segmentation"));
        } catch (IllegalArgumentException e) {
            throw f.malformed(e.getMessage());
        }
        long recordBytes = f.integer(root, "recordBytes");
        if (recordBytes != recordBytes(shape)) {
            throw f.malformed("recordBytes is " + recordBytes + " but a " + shape.channels() + "x" + shape.height()
                    + "x" + shape.width() + (shape.segmentation() ? " image with mask" : " image")
                    + " record takes " + recordBytes(shape));
        }
        String labelsFile = f.text(root, "labelsFile");
        if (!LABELS_FILE.equals(labelsFile)) {
            throw f.malformed("labelsFile is '" + labelsFile + "', expected '" + LABELS_FILE + "'");
        }
        List<Long> classCounts = new ArrayList<>();
        for (JsonNode n : f.array(root, "classCounts")) {
            classCounts.add(f.integerValue(n, "classCounts"));
        }
        List<Float> mean = f.floats(root, "mean");
        List<Float> std = f.floats(root, "std");
        List<Shard> shards = new ArrayList<>();
        for (JsonNode n : f.array(root, "shards")) {
            String file = f.text(n, "file");
            if (file.isEmpty() || file.contains("/") || file.equals(".") || file.equals("..")) {
                throw f.malformed("shard file '" + file + "' is not a plain file name");
            }
            long records = f.integer(n, "records");
            if (records < 0 || records > Integer.MAX_VALUE) {
                throw f.malformed("shard " + file + " has " + records + " records");
            }
            shards.add(new Shard(file, (int) records));
        }
        long count = f.integer(root, "count");
        String source = f.text(root, "source");
        JsonNode bad = f.object(root, "badImages");
        long skipped = f.integer(bad, "badImages.skipped", "skipped");
        List<String> examples = new ArrayList<>();
        for (JsonNode n : f.array(bad, "examples")) {
            examples.add(n.asText());
        }
        try {
            return new PreparedManifest(shape, count, classCounts, mean, std, shards, source, skipped, examples);
        } catch (IllegalArgumentException e) {
            throw f.malformed(e.getMessage());
        }
    }

    private static ObjectMapper mapper() {
        ObjectMapper json = new ObjectMapper();
        json.enable(SerializationFeature.INDENT_OUTPUT);
        // Exact decimals, so a float written as its shortest form reads back as the same float.
        json.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        return json;
    }

    private static List<PreparedShard> sorted(List<PreparedShard> shards) {
        List<PreparedShard> ordered = new ArrayList<>(shards);
        ordered.sort(Comparator.comparingInt(PreparedShard::index));
        for (int i = 1; i < ordered.size(); i++) {
            if (ordered.get(i).index() == ordered.get(i - 1).index()) {
                throw new IllegalArgumentException("shard " + ordered.get(i).index() + " is listed twice");
            }
        }
        return ordered;
    }

    private static Path temporary(Path dir, String name) {
        return new Path(dir, "_tmp." + name + "." + UUID.randomUUID());
    }

    /** Renames {@code from} to {@code to}, removing an existing {@code to} first (HDFS does not rename over it). */
    private static void replace(FileSystem fs, Path from, Path to) throws IOException {
        try {
            if (fs.exists(to) && !fs.delete(to, false)) {
                throw new IOException("cannot replace " + to);
            }
            if (!fs.rename(from, to)) {
                throw new IOException("cannot rename " + from + " to " + to);
            }
        } catch (IOException e) {
            fs.delete(from, false);
            throw e;
        }
    }

    static String child(String dirUri, String name) {
        return dirUri.endsWith("/") ? dirUri + name : dirUri + "/" + name;
    }

    /** Reads required manifest fields, reporting a missing or mistyped one by its name. */
    private record Fields(String name) {
        InputException malformed(String problem) {
            return new InputException(name + ": malformed manifest: " + problem);
        }

        private JsonNode required(JsonNode node, String path, String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                throw malformed("field '" + path + "' is missing");
            }
            return value;
        }

        String text(JsonNode node, String field) {
            JsonNode value = required(node, field, field);
            if (!value.isTextual()) {
                throw malformed("field '" + field + "' must be a string, was " + value);
            }
            return value.asText();
        }

        boolean bool(JsonNode node, String field) {
            JsonNode value = required(node, field, field);
            if (!value.isBoolean()) {
                throw malformed("field '" + field + "' must be true or false, was " + value);
            }
            return value.booleanValue();
        }

        long integer(JsonNode node, String field) {
            return integer(node, field, field);
        }

        long integer(JsonNode node, String path, String field) {
            return integerValue(required(node, path, field), path);
        }

        long integerValue(JsonNode value, String path) {
            if (!value.isIntegralNumber() || !value.canConvertToLong()) {
                throw malformed("field '" + path + "' must be an integer, was " + value);
            }
            return value.longValue();
        }

        int intValue(JsonNode node, String path, String field) {
            long value = integer(node, path, field);
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw malformed("field '" + path + "' is out of range: " + value);
            }
            return (int) value;
        }

        JsonNode object(JsonNode node, String field) {
            JsonNode value = required(node, field, field);
            if (!value.isObject()) {
                throw malformed("field '" + field + "' must be an object, was " + value);
            }
            return value;
        }

        JsonNode array(JsonNode node, String field) {
            JsonNode value = required(node, field, field);
            if (!value.isArray()) {
                throw malformed("field '" + field + "' must be an array, was " + value);
            }
            return value;
        }

        List<Float> floats(JsonNode node, String field) {
            List<Float> values = new ArrayList<>();
            for (JsonNode n : array(node, field)) {
                if (!n.isNumber()) {
                    throw malformed("field '" + field + "' must hold numbers, held " + n);
                }
                values.add(n.decimalValue().floatValue());
            }
            return values;
        }
    }
}
