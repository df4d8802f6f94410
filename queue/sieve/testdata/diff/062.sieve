# 062: header :is against a comma list value
require "fileinto";
if header :contains "keywords" "beta" { fileinto "Kw"; }
