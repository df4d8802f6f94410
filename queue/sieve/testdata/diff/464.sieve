# 464: not not false
require "fileinto";
if not not false { fileinto "Yes"; } else { fileinto "No"; }
