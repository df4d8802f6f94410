# 399: size :over 0
require "fileinto";
if size :over 0 { fileinto "NonEmpty"; }
