package main
import (
 _ "github.com/spf13/cobra"
 _ "github.com/spf13/viper"
 _ "github.com/schollz/progressbar/v3"
 _ "golang.org/x/image/webp"
 _ "golang.org/x/text/unicode/norm"
)
func main(){}
