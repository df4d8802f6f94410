# 052: :is "" on an empty header
require "fileinto";
if header :is "x-empty" "" { fileinto "Empty"; } else { fileinto "No"; }
