# 368: :matches * on an empty header
require "fileinto";
if header :matches "x-empty" "*" { fileinto "Star"; } else { fileinto "No"; }
