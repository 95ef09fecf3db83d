"""``seqd phones …``: G2P, forced alignment of one file, alignment-file reading, MFA check."""

from __future__ import annotations

from pathlib import Path

import typer

group = typer.Typer(help="Phones: G2P, forced alignment (Praat built-in, MFA), alignment files.",
                    no_args_is_help=True)


@group.command("g2p", help="Phones of a text.\n\nExample: seqd phones g2p \"Guten Morgen\" --language de")
def g2p_cmd(text: str = typer.Argument(..., help="Text to convert."),
            language: str = typer.Option("en-us", "--language", "-l", help="de, en-us, cmn, …"),
            pinyin: bool = typer.Option(False, "--pinyin", help="Mandarin initials/finals (pypinyin).")
            ) -> None:
    from ..phones import g2p, pinyin_phones

    typer.echo(" ".join(pinyin_phones(text) if pinyin else g2p(text, language)))


@group.command("align", help="Align a transcript with a WAV file (built-in Praat aligner).\n\n"
               "Example: seqd phones align 03a01Fa.wav \"Der Lappen liegt auf dem Eisschrank.\" "
               "--language de --out 03a01Fa.TextGrid")
def align_cmd(wav: Path = typer.Argument(..., exists=True, dir_okay=False),
              text: str = typer.Argument(..., help="Transcript."),
              language: str = typer.Option("en-us", "--language", "-l"),
              gender: str = typer.Option(None, "--gender", help="female or male: synthetic voice."),
              praat_defaults: bool = typer.Option(False, "--praat-defaults",
                                                  help="Praat's default settings, no refinement."),
              out: Path = typer.Option(None, "--out", "-o", help="Write a TextGrid here.")) -> None:
    import soundfile as sf

    from ..phones import PraatAligner
    from ..phones.textgrid_out import write_textgrid

    audio, sr = sf.read(wav, dtype="float32", always_2d=True)
    aligner = PraatAligner.default(language) if praat_defaults else PraatAligner(language=language)
    result = aligner.for_speaker(gender).align(audio.mean(axis=1), sr, text)
    if out is not None:
        write_textgrid(out, {"words": result.words, "phones": result.phones}, len(audio) / sr)
        typer.echo(f"wrote {out}")
    else:
        for seg in result.phones:
            typer.echo(f"{seg.start:8.3f} {seg.end:8.3f} {seg.phone}")


@group.command("read", help="Print the segments of a corpus alignment file (.lablaut, .phseg, "
               ".TextGrid).\n\nExample: seqd phones read lablaut/03a01Faxx.lablaut")
def read_cmd(path: Path = typer.Argument(..., exists=True, dir_okay=False),
             tier: str = typer.Option("phones", "--tier", help="TextGrid tier.")) -> None:
    from ..phones import read_phseg, read_textgrid, read_xlabel

    suffix = path.suffix.lower()
    segments = (read_phseg(path) if suffix == ".phseg" else
                read_textgrid(path, tier) if suffix == ".textgrid" else read_xlabel(path))
    for seg in segments:
        typer.echo(f"{seg.start:8.3f} {seg.end:8.3f} {seg.phone}")


@group.command("check-mfa", help="Say whether Montreal Forced Aligner is usable, and how to get it.")
def check_mfa_cmd() -> None:
    from ..phones.mfa import find_mfa, mfa_version

    path = find_mfa()  # raises MissingToolError with the install hint
    typer.echo(f"mfa found: {path} ({mfa_version() or 'version unknown'})")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="phones")
