# 029: allof one false
require "fileinto";
if allof (true, false) { fileinto "All"; } else { fileinto "NotAll"; }
