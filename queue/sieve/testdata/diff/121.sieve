# 121: size :over small
require "fileinto";
if size :over 100 { fileinto "Big"; } else { fileinto "Small"; }
