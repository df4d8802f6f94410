# 031: anyof all false
require "fileinto";
if anyof (false, exists "x-none") { fileinto "Any"; } else { fileinto "None"; }
