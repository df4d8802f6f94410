# 473: :matches with many stars that does match
require "fileinto";
if header :matches "x-aaa" "*a*a*a*a*a*a*a*a*a*a*a*a" { fileinto "Yes"; } else { fileinto "No"; }
