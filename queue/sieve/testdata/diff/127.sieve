# 127: size :under one more than its size
require "fileinto";
if size :under 318 { fileinto "Under"; }
