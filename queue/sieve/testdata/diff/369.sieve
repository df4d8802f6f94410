# 369: :matches wildcards are case-insensitive with casemap
require "fileinto";
if header :matches "subject" "meet*DAY" { fileinto "CI"; }
