# 065: ascii-casemap only folds ASCII
require "fileinto";
if header :is "x-label" "GRÜSSE" { fileinto "Folded"; } else { fileinto "No"; }
