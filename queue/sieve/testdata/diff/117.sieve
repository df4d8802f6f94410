# 117: exists needs all headers
require "fileinto";
if exists ["subject", "x-none"] { fileinto "Yes"; } else { fileinto "No"; }
