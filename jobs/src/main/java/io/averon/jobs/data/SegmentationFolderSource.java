package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import io.averon.worker.ExampleSource;
import io.averon.worker.InputException;
import io.averon.worker.data.BadImagePolicy;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.ImageDecoder;
import io.averon.worker.image.PixelImage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Segmentation pairs: an image folder and a mask folder matched by file name without extension
 * ({@code images/0001.jpg} with {@code masks/0001.png}). Masks are gray or palette PNGs whose sample values are class
 * ids, 255 marking pixels to ignore (the PASCAL VOC convention). Images without a mask, and masks of another size
 * than their image, are bad inputs handled by the job's bad-image policy.
 */
public final class SegmentationFolderSource implements ExampleSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SegmentationFolderSource.class);

    private final String imagesUri;
    private final String masksUri;
    private final DecodeSettings decode;
    private final List<String> classNames;
    private final Split split;
    private final HadoopSettings hadoop;

    /** @param hadoop the run's Hadoop settings, for planning here and reading on the executors */
    public SegmentationFolderSource(String imagesUri, String masksUri, DecodeSettings decode, List<String> classNames,
                                    Split split, HadoopSettings hadoop) {
        if (classNames.isEmpty()) {
            throw new InputException("segmentation dataset " + imagesUri + " needs its classes: set dataset.class-names "
                    + "or dataset.num-classes");
        }
        this.imagesUri = imagesUri;
        this.masksUri = masksUri;
        this.decode = decode;
        this.classNames = List.copyOf(classNames);
        this.split = split;
        this.hadoop = Objects.requireNonNull(hadoop, "hadoop");
    }

    @Override
    public String name() {
        return imagesUri + (split == null ? "" : split.validation() ? " (validation split)" : " (training split)");
    }

    @Override
    public SourceIndex index() throws IOException {
        Configuration conf = hadoop.toConfiguration();
        Path images = ImageFiles.directory(imagesUri, "segmentation image folder", conf);
        Path masks = ImageFiles.directory(masksUri, "segmentation mask folder", conf);
        Map<String, String> maskByName = new HashMap<>();
        for (LocatedFileStatus m : ImageFiles.images(masks, conf)) {
            maskByName.put(ImageFiles.baseName(ImageFiles.relative(masks, m.getPath())), m.getPath().toString());
        }
        List<String[]> pairs = new ArrayList<>();
        long skipped = 0;
        for (LocatedFileStatus image : ImageFiles.images(images, conf)) {
            String relative = ImageFiles.relative(images, image.getPath());
            String mask = maskByName.get(ImageFiles.baseName(relative));
            String problem = mask == null ? image.getPath() + ": no mask named " + ImageFiles.baseName(relative)
                    + ".png in " + masksUri : image.getLen() == 0 ? image.getPath() + ": empty file (0 bytes)" : null;
            if (problem != null) {
                if (decode.badImages() == BadImagePolicy.FAIL) {
                    throw new InputException("bad image " + problem + " (dataset.bad-images = fail)");
                }
                if (++skipped <= 5) {
                    LOG.warn("skipped bad image {}", problem);
                }
                continue;
            }
            pairs.add(new String[] {image.getPath().toString(), mask});
        }
        List<String[]> kept = split == null ? pairs : split.select(pairs, 0);
        if (kept.isEmpty()) {
            throw new InputException(name() + ": no image with a matching mask in " + masksUri);
        }
        DataShape shape = new DataShape(decode.channels(), decode.height(), decode.width(), classNames, true);
        return new Index(name(), kept.stream().map(p -> p[0]).toArray(String[]::new),
                kept.stream().map(p -> p[1]).toArray(String[]::new), shape, skipped, decode, hadoop);
    }

    /** The planned pairs; executors decode image and mask together. */
    private static final class Index implements SourceIndex {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final String[] images;
        private final String[] masks;
        private final DataShape shape;
        private final long skipped;
        private final DecodeSettings decode;
        private final HadoopSettings hadoop;

        Index(String name, String[] images, String[] masks, DataShape shape, long skipped, DecodeSettings decode,
              HadoopSettings hadoop) {
            this.name = name;
            this.images = images;
            this.masks = masks;
            this.shape = shape;
            this.skipped = skipped;
            this.decode = decode;
            this.hadoop = hadoop;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public DataShape shape() {
            return shape;
        }

        @Override
        public int size() {
            return images.length;
        }

        @Override
        public int label(int example) {
            return -1;
        }

        @Override
        public String describe(int example) {
            return images[example];
        }

        @Override
        public long skippedAtPlanning() {
            return skipped;
        }

        @Override
        public ExampleReader open() throws IOException {
            FileSystem fs = new Path(images[0]).getFileSystem(hadoop.toConfiguration());
            // Masks are decoded at full size: resampling class ids belongs to the preprocessor (nearest neighbour).
            ThreadLocal<ImageDecoder> decoders = ThreadLocal.withInitial(() -> new ImageDecoder(decode.channels(),
                    decode.maxPixels(), 0));
            return example -> {
                ImageDecoder decoder = decoders.get();
                PixelImage image = decoder.decode(ImageFolderSource.readFile(fs, images[example]), images[example]);
                PixelImage mask = decoder.decodeMask(ImageFolderSource.readFile(fs, masks[example]), masks[example]);
                ImageDecoder.requireSameSize(image, mask, masks[example]);
                return new LabelledImage(image, mask, -1);
            };
        }
    }
}
