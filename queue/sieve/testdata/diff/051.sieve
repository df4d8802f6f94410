# 051: :contains "" on an empty header
require "fileinto";
if header :contains "x-empty" "" { fileinto "Present"; } else { fileinto "No"; }
