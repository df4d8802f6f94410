# 122: size :under with K
require "fileinto";
if size :under 1K { fileinto "Small"; }
