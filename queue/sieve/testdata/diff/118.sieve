# 118: exists with all present
require "fileinto";
if exists ["From", "TO", "date"] { fileinto "Yes"; }
