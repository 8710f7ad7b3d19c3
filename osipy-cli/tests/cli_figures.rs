//! End to end: the default background mask (Otsu's threshold, stated in the report and the
//! provenance) and the self-contained `report.html` of an `osipy dce` run on the golden input
//! (the 8 x 8 x 2 corner of the demo phantom: 70 body voxels, 58 of background).

mod common;

use std::path::Path;

use common::{osipy_ok, scratch};

#[test]
fn default_mask_leaves_out_the_background_and_report_html_embeds_every_figure() {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/golden-maps/dce_conc.nii.gz");
    let dir = scratch("figures-default-mask");
    let out = dir.join("out");
    osipy_ok(&[
        "dce",
        "--input",
        input.to_str().unwrap_or_default(),
        "--out",
        out.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap_or_default())
            .unwrap_or_default();
    let mask = &prov["settings"]["mask"];
    assert_eq!(mask["applied"], true, "{mask}");
    assert_eq!(mask["candidate_voxels"], 128);
    assert_eq!(mask["voxels"], 70);
    assert_eq!(prov["mask_voxels"], 70);
    let t = mask["threshold"].as_f64().unwrap_or(f64::NAN);
    assert!(t > 0.0 && t < 0.05, "{t}");
    assert!(mask["rule"]
        .as_str()
        .unwrap_or_default()
        .starts_with("Otsu's threshold (256 bins) on the mean concentration"));

    let md = std::fs::read_to_string(out.join("report.md")).unwrap_or_default();
    assert!(md.contains("70 voxels kept, 58 left out as background"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap_or_default();
    let figures = md.matches("](fig_").count();
    // Ktrans, ve and vp (extended Tofts, no delay), R², the AIF and the voxel fits.
    assert_eq!(figures, 6, "{md}");
    assert_eq!(html.matches("<img alt=").count(), figures);
    assert_eq!(
        html.matches("src=\"data:image/png;base64,iVBORw0KGgo").count(),
        figures
    );
    assert!(!html.contains("src=\"fig_") && !html.contains("http"));
    assert!(html.contains("<td>70</td>") || html.contains("70 voxels kept"));
    let _ = std::fs::remove_dir_all(&dir);
}
