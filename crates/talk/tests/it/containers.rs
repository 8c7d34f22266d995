//! The same talk in other containers and codecs: mp4 (AAC, with a video
//! track) and MP3 through symphonia, WebM (Opus) through ffmpeg.

use filmroom_domain::{Domain, Recognition};
use filmroom_talk::Talk;
use filmroom_talk::decode::{DecodeOptions, SAMPLE_RATE, decode_file};

use crate::fixtures::fixtures;

#[test]
fn mp4_webm_and_mp3_decode_to_the_wavs_length_and_give_its_pauses() {
    let f = fixtures();
    let wav = decode_file(&f.talk.wav, &DecodeOptions::default()).unwrap();
    let wav_s = wav.len() as f64 / f64::from(SAMPLE_RATE);
    for media in [&f.mp4, &f.webm, &f.mp3] {
        let samples = decode_file(media, &DecodeOptions::default()).unwrap();
        let seconds = samples.len() as f64 / f64::from(SAMPLE_RATE);
        println!("{}: {seconds:.3} s (wav {wav_s:.3} s)", media.display());
        assert!(
            (seconds - wav_s).abs() < 0.15,
            "{}: {seconds} vs {wav_s}",
            media.display()
        );
        let analysis = Talk::default()
            .analyze_file(media, Some(&f.talk.srt))
            .unwrap();
        analysis.validate().unwrap();
        for (start, _) in f.talk.silences() {
            assert!(
                analysis
                    .events
                    .iter()
                    .any(|e| e.kind == "pause" && (e.t_s - start).abs() <= 0.3),
                "{}: no pause near {start}",
                media.display()
            );
        }
    }
}

#[test]
fn media_is_recognized_by_content_and_a_media_name_alone_is_refused_at_the_head_check() {
    let f = fixtures();
    let talk = Talk::default();
    for media in [&f.talk.wav, &f.mp4, &f.webm, &f.mp3] {
        let bytes = std::fs::read(media).unwrap();
        let head = &bytes[..512.min(bytes.len())];
        assert_eq!(talk.recognize("upload.bin", head), Recognition::ByContent);
        talk.check_head(head).unwrap();
    }
    let text = b"these are my speaker notes, not a video";
    assert_eq!(talk.recognize("talk.mp4", text), Recognition::ByName);
    assert!(
        talk.check_head(text)
            .unwrap_err()
            .to_string()
            .contains("not a known media container")
    );
    assert_eq!(talk.recognize("notes.txt", text), Recognition::No);
}
