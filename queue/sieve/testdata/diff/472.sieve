# 472: :matches with many stars on a long value
require "fileinto";
if header :matches "x-aaa" "*a*a*a*a*a*a*a*a*a*a*a*a*b" { fileinto "Yes"; } else { fileinto "No"; }
