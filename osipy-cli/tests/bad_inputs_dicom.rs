//! The bad-input catalogue, DICOM part: one committed folder per case under
//! `tests/bad-inputs/dicom/` (written by `tests/data/dicom/generate.py` at the repository root),
//! each read by `osipy dce --input FOLDER`: exit code 1, no output folder, and exactly one line
//! on stderr, checked whole (or, where a decoder's own words end it, up to them). Among them the
//! inputs that once panicked, aborted or allocated what the file does not hold: a 4 GB element
//! length, a huge NumberOfFrames, Rows x Columns of 65535 x 65535, a non-ASCII byte in a DT
//! value, sequences nested 100 deep.

mod common;

use common::{osipy, scratch};
use std::path::PathBuf;

/// The folder of a case.
fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad-inputs/dicom")
        .join(name)
}

/// Runs `osipy dce --input <case> --out <scratch> --quiet`; checks the exit code, that nothing
/// was written, and that stderr is one line; returns it.
fn run(name: &str) -> String {
    let dir = scratch(&format!("bad-dicom-{name}"));
    let out = dir.join("out");
    let input = case(name);
    let r = osipy(&[
        "dce",
        "--input",
        input.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let err = String::from_utf8_lossy(&r.stderr).to_string();
    assert_eq!(r.status.code(), Some(1), "{name}: {err}");
    assert_eq!(err.lines().count(), 1, "{name}: not one line: {err}");
    assert!(err.ends_with('\n'), "{name}: {err:?}");
    assert!(!out.exists(), "{name}: output folder left behind");
    let _ = std::fs::remove_dir_all(&dir);
    err.trim_end().to_string()
}

/// The line for an error in file `file` of case `name`.
fn in_file(name: &str, file: &str, message: &str) -> String {
    let d = case(name);
    format!(
        "osipy: --input {}: {}: {message}",
        d.display(),
        d.join(file).display()
    )
}

/// The line for an error about the folder of case `name`.
fn in_folder(name: &str, message: &str) -> String {
    let d = case(name).display().to_string();
    format!("osipy: --input {d}: {d}: {message}")
}

const UNREADABLE: &str = "unreadable DICOM: expected a complete DICOM Part 10 file, found";

#[test]
fn truncated_file() {
    let want = in_file(
        "truncated-file",
        "cut.dcm",
        &format!(
            "{UNREADABLE} element (7FE0,0010) at byte 598 declaring 512 bytes with 212 left in the file"
        ),
    );
    assert_eq!(run("truncated-file"), want);
}

#[test]
fn truncated_element_header() {
    let want = in_file(
        "truncated-header",
        "cut.dcm",
        &format!("{UNREADABLE} an element header cut short at byte 290 (5 bytes left, 8 needed)"),
    );
    assert_eq!(run("truncated-header"), want);
}

#[test]
fn wrong_magic_is_not_dicom() {
    let want = in_folder(
        "wrong-magic",
        "no DICOM images: expected DICOM Part 10 files with Pixel Data, found 1 files, 0 of them DICOM",
    );
    assert_eq!(run("wrong-magic"), want);
}

#[test]
fn element_length_of_4_gb_is_refused_before_allocating() {
    let want = in_file(
        "huge-element-length",
        "huge.dcm",
        &format!("{UNREADABLE} element (0009,1010) at byte 598 declaring 4294967280 bytes with 16 left in the file"),
    );
    assert_eq!(run("huge-element-length"), want);
}

#[test]
fn element_longer_than_its_item_in_big_endian() {
    let want = in_file(
        "item-length-past-its-sequence",
        "nested.dcm",
        &format!(
            "{UNREADABLE} element (0008,1150) at byte 408 declaring 65520 bytes with 26 left in its sequence or item"
        ),
    );
    assert_eq!(run("item-length-past-its-sequence"), want);
}

#[test]
fn sequences_nested_too_deep() {
    let want = in_file(
        "deep-nesting",
        "deep.dcm",
        &format!("{UNREADABLE} sequences nested more than 64 deep at byte 942"),
    );
    assert_eq!(run("deep-nesting"), want);
}

#[test]
fn undefined_length_on_an_element_that_is_not_a_sequence() {
    let want = in_file(
        "undefined-length-not-a-sequence",
        "undef.dcm",
        &format!("{UNREADABLE} element (0009,1010) at byte 290 of undefined length with VR OB"),
    );
    assert_eq!(run("undefined-length-not-a-sequence"), want);
}

#[test]
fn huge_number_of_frames_is_checked_against_the_pixel_data() {
    let want = in_file(
        "huge-number-of-frames",
        "frames.dcm",
        "truncated Pixel Data: expected at least 51199999999488 bytes, found 512",
    );
    assert_eq!(run("huge-number-of-frames"), want);
}

#[test]
fn number_of_frames_that_is_not_positive() {
    let want = in_file(
        "bad-number-of-frames",
        "frames.dcm",
        "invalid attribute NumberOfFrames (0028,0008): expected a positive integer, found -3",
    );
    assert_eq!(run("bad-number-of-frames"), want);
}

#[test]
fn huge_rows_and_columns_are_checked_against_the_pixel_data() {
    let want = in_file(
        "huge-rows-columns",
        "big.dcm",
        "truncated Pixel Data: expected at least 8589672450 bytes, found 512",
    );
    assert_eq!(run("huge-rows-columns"), want);
}

#[test]
fn pixel_data_shorter_than_the_image() {
    let want = in_file(
        "truncated-pixel-data",
        "short.dcm",
        "truncated Pixel Data: expected at least 512 bytes, found 200",
    );
    assert_eq!(run("truncated-pixel-data"), want);
}

#[test]
fn non_ascii_datetime_is_no_time() {
    let d = case("non-ascii-datetime");
    let want = in_folder(
        "non-ascii-datetime",
        &format!(
            "cannot arrange frames: expected 2 frames per slice with distinct AcquisitionTime, ContentTime, \
             TriggerTime, TemporalPositionIdentifier, FrameTime or InstanceNumber, found frames at the same \
             slice and time, e.g. {} and {}",
            d.join("a.dcm").display(),
            d.join("b.dcm").display()
        ),
    );
    assert_eq!(run("non-ascii-datetime"), want);
}

#[test]
fn missing_required_attributes() {
    for (name, file, message) in [
        (
            "missing-image-position",
            "nopos.dcm",
            "missing attribute ImagePositionPatient (0020,0032): expected the position of each frame (3 numbers)",
        ),
        (
            "missing-rows",
            "norows.dcm",
            "missing attribute Rows (0028,0010): expected the image height",
        ),
        (
            "missing-series-uid",
            "nouid.dcm",
            "missing attribute SeriesInstanceUID (0020,000E): expected the series the image belongs to",
        ),
        (
            "missing-pixel-representation",
            "norep.dcm",
            "missing attribute PixelRepresentation (0028,0103): expected 0 (unsigned) or 1 (signed)",
        ),
    ] {
        assert_eq!(run(name), in_file(name, file, message));
    }
}

#[test]
fn unusable_attribute_values() {
    for (name, file, message) in [
        (
            "bits-allocated-12",
            "bits.dcm",
            "invalid attribute BitsAllocated (0028,0100): expected 8, 16 or 32, found 12",
        ),
        (
            "colour-image",
            "rgb.dcm",
            "invalid attribute SamplesPerPixel (0028,0002): expected 1 (greyscale), found 3",
        ),
        (
            "bad-orientation",
            "iop.dcm",
            "invalid attribute ImageOrientationPatient (0020,0037): expected 6 numbers, two unit vectors, \
             found [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]",
        ),
    ] {
        assert_eq!(run(name), in_file(name, file, message));
    }
}

#[test]
fn files_of_different_sizes() {
    let first = case("inconsistent-sizes").join("a.dcm");
    let want = in_file(
        "inconsistent-sizes",
        "b.dcm",
        &format!(
            "inconsistent image size (Rows x Columns): expected 16 x 16 (as in {}), found 16 x 8",
            first.display()
        ),
    );
    assert_eq!(run("inconsistent-sizes"), want);
}

#[test]
fn slices_with_different_numbers_of_frames() {
    let want = in_folder(
        "uneven-slices",
        &format!(
            "cannot arrange frames: expected the same number of frames at every slice position (2 at 0.000 mm), \
             found 1 at 4.000 mm (e.g. {})",
            case("uneven-slices").join("c.dcm").display()
        ),
    );
    assert_eq!(run("uneven-slices"), want);
}

#[test]
fn unsupported_transfer_syntax() {
    let want = in_file(
        "jpeg-ls",
        "jpegls.dcm",
        "unsupported transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS Lossless): expected Implicit VR Little \
         Endian, Explicit VR Little Endian, Explicit VR Big Endian, JPEG Baseline, JPEG Lossless, JPEG 2000 \
         or RLE Lossless",
    );
    assert_eq!(run("jpeg-ls"), want);
}

#[test]
fn compressed_pixel_data_over_the_cap() {
    let want = in_file(
        "compressed-over-cap",
        "rle.dcm",
        "compressed Pixel Data too large: expected at most 4294967296 decoded bytes \
         (ReadOptions::max_decoded_bytes), found 65535 x 65535 pixels x 1000 frames x 2 bytes = 8589672450000 \
         (raise the cap with --max-decoded)",
    );
    assert_eq!(run("compressed-over-cap"), want);
}

#[test]
fn compressed_frames_without_their_fragments() {
    let want = in_file(
        "compressed-frames-without-fragments",
        "rle.dcm",
        "invalid attribute NumberOfFrames (0028,0008): expected at most one frame per fragment of the \
         compressed Pixel Data (1 fragments), found 5",
    );
    assert_eq!(run("compressed-frames-without-fragments"), want);
}

/// The start of the message about compressed data that disagree with the image attributes.
fn stream(syntax: &str, bits: u16) -> String {
    format!("invalid attribute Pixel Data (7FE0,0010): expected {syntax} data of 16 x 16 pixels, one sample of {bits} bits, found")
}

#[test]
fn jpeg_stream_without_a_frame_header() {
    let want = in_file(
        "corrupt-jpeg",
        "jpeg.dcm",
        &format!(
            "{} a JPEG stream at byte 0 without a frame header (SOF)",
            stream("JPEG Baseline (Process 1)", 8)
        ),
    );
    assert_eq!(run("corrupt-jpeg"), want);
}

#[test]
fn jpeg_frame_larger_than_the_image_is_refused_before_decoding() {
    let want = in_file(
        "jpeg-frame-larger-than-image",
        "jpeg.dcm",
        &format!(
            "{} a JPEG frame header at byte 2 of 65535 x 65535 pixels, 1 components, 8 bits",
            stream("JPEG Baseline (Process 1)", 8)
        ),
    );
    assert_eq!(run("jpeg-frame-larger-than-image"), want);
}

#[test]
fn jpeg_the_decoder_cannot_decode() {
    let want = in_file(
        "jpeg-without-tables",
        "jpeg.dcm",
        "invalid attribute Pixel Data (7FE0,0010): expected decodable JPEG Baseline (Process 1) data, found ",
    );
    let got = run("jpeg-without-tables");
    assert!(got.starts_with(&want), "{got}");
    assert!(got.contains("quantization table"), "{got}");
}

#[test]
fn rle_header_with_too_many_segments() {
    let want = in_file(
        "rle-header-segments",
        "rle.dcm",
        &format!(
            "{} an RLE header of 4294967295 segments for frame 0 (BitsAllocated 16 needs 2)",
            stream("RLE Lossless", 16)
        ),
    );
    assert_eq!(run("rle-header-segments"), want);
}

#[test]
fn rle_segment_shorter_than_the_image() {
    let want = in_file(
        "rle-segment-too-short",
        "rle.dcm",
        &format!(
            "{} RLE segment 0 of frame 0 decoding to 3 bytes (expected 256, Rows x Columns)",
            stream("RLE Lossless", 16)
        ),
    );
    assert_eq!(run("rle-segment-too-short"), want);
}

#[test]
fn j2k_codestream_larger_than_the_image() {
    let want = in_file(
        "j2k-larger-than-image",
        "j2k.dcm",
        &format!(
            "{} a JPEG 2000 codestream at byte 0 of 16 x 1073741824 pixels and 1 components, subsampling 1 x 1",
            stream("JPEG 2000 Lossless", 16)
        ),
    );
    assert_eq!(run("j2k-larger-than-image"), want);
}

#[test]
fn compressed_syntax_with_native_pixel_data() {
    let want = in_file(
        "compressed-syntax-native-pixels",
        "jpeg.dcm",
        "invalid attribute Pixel Data (7FE0,0010): expected encapsulated fragments (the transfer syntax is \
         compressed), found native pixel data",
    );
    assert_eq!(run("compressed-syntax-native-pixels"), want);
}
